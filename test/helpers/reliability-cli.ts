/**
 * Spawning the real CLI (`decorruptor serve` / `run`) for the reliability tests, and looking at
 * the processes it leaves. Everything here works on pids this test process started itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitOn } from './wait.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_ENTRY = join(REPO_ROOT, 'src/cli/main.ts');
export const FIXTURE_BUNDLE = join(REPO_ROOT, 'test/fixtures/model/bundle');

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running CLI process with its output kept in memory. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<CliExit>;
  #stdout = '';
  #stderr = '';

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.#stdout += text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.#stderr += text));
    // 'close', not 'exit': by then all of stdout and stderr has been read.
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stderr; rejects on exit or after `timeoutMs`. */
  waitForStderr(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const match = () => {
      const found = pattern.exec(this.#stderr);
      if (!found && !this.running) throw new Error(`exited before ${pattern} appeared; stderr:\n${this.#stderr}`);
      return found ?? undefined;
    };
    return waitOn(match, [[this.child.stderr!, 'data'], [this.child, 'exit']], { what: `${pattern} on stderr`, timeoutMs, detail: () => `stderr:\n${this.#stderr}` });
  }

  /** Waits for the exit, SIGKILLing the process after `timeoutMs` (the result then says so). */
  async exit(timeoutMs: number): Promise<CliExit & { forced: boolean }> {
    let forced = false;
    const timer = setTimeout(() => {
      forced = true;
      this.child.kill('SIGKILL');
    }, timeoutMs);
    const result = await this.exited;
    clearTimeout(timer);
    return { ...result, forced };
  }

  /** Test clean-up: SIGKILLs the process and the ffmpeg children it started, if it still runs. */
  async kill(): Promise<void> {
    if (!this.running) return;
    const ffmpegs = childPids(this.pid, 'ffmpeg');
    this.child.kill('SIGKILL');
    for (const pid of ffmpegs) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.exited;
  }
}

/** A `serve` process that is listening; `httpUrl` has no trailing slash. */
export interface ServeProcess {
  cli: CliProcess;
  httpUrl: string;
  wsUrl: string;
}

/** Spawns `decorruptor serve --port PORT ...args` (default 0: a free port) and waits until it says where it listens. */
export async function startServe(args: string[], { port = 0, timeoutMs = 60_000 }: { port?: number; timeoutMs?: number } = {}): Promise<ServeProcess> {
  const cli = new CliProcess(['serve', '--port', String(port), '--log-level', 'info', ...args]);
  try {
    const [, httpUrl] = await cli.waitForStderr(/dashboard on (http:\/\/[^\s/]+)\//, timeoutMs);
    return { cli, httpUrl: httpUrl!, wsUrl: `${httpUrl!.replace(/^http/, 'ws')}/ws` };
  } catch (error) {
    await cli.kill();
    throw error;
  }
}

/** Pids of the live processes whose parent is `parentPid`, optionally only those named `command` (Linux /proc). */
export function childPids(parentPid: number, command?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state, parent] = [fields[0], Number(fields[1])];
      if (parent === parentPid && state !== 'Z' && (command === undefined || name === command)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** A process's command line, arguments joined by spaces ('' once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** True while `pid` names a process that has not exited (zombies count as gone). */
export function processExists(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Resident set size of a process in bytes (Linux /proc), undefined once it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/** GET a JSON route; the status and the parsed body. */
export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
