/** Spawns the real CLI (through tsx, from src/) and helps tests talk to it. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURE_BUNDLE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function spawnCli(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => stderr, exited };
}

/** Waits for serve's "dashboard on http://host:port/" line and returns the base URL. */
export async function serverUrl(cli: CliProcess, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = /dashboard on (http:\/\/[^\s/]+)\//.exec(cli.stderr());
    if (match) return match[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`serve did not report its address in ${timeoutMs} ms; stderr:\n${cli.stderr()}`);
}

export interface FrameHeader {
  streamId: string;
  seq: number;
  discontinuity?: boolean;
  ensemble: { label: string; confidence: number };
  [key: string]: unknown;
}

/** A ws client that collects text messages and frame headers. */
export class TestClient {
  readonly ws: WebSocket;
  readonly texts: Array<Record<string, unknown>> = [];
  readonly frames: FrameHeader[] = [];

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
        return;
      }
      const length = data.readUInt32BE(0);
      this.frames.push(JSON.parse(data.subarray(4, 4 + length).toString()) as FrameHeader);
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  async until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.ws.close();
  }
}

/** Pids of the direct children of `pid` whose command name is `name` (Linux /proc). */
export function childPids(pid: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const command = /\(([^)]*)\)/.exec(stat)?.[1];
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid && command === name) found.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}
