/**
 * CI smoke of the README's first set-up command (`npm ci && npm start`): starts the built CLI's
 * `serve` (the demo, as `npm start` does) on a free port, waits for GET /readyz to answer 200,
 * connects a WebSocket client to /ws, waits for one binary frame message, stops the server with
 * SIGTERM and checks that it exits 0. Exits 1 with the reason and serve's last stderr otherwise.
 *
 *   node --import tsx tools/smoke-start.ts                    # after npm ci (which builds dist/)
 *   node --import tsx tools/smoke-start.ts --source lavfi:testsrc2=size=64x64:rate=10
 *   DECORRUPTOR_FFMPEG=bundled node --import tsx tools/smoke-start.ts   # through the npm ffmpeg
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { decodeFrameMessage } from '../src/server/protocol.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = path.join(ROOT, 'dist', 'cli', 'main.js');
const READY_TIMEOUT_MS = 60_000;
const FRAME_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 20_000;
const STDERR_TAIL_LINES = 30;

class SmokeFailure extends Error {}

/** A port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function main(): Promise<void> {
  if (!existsSync(MAIN)) throw new SmokeFailure(`${path.relative(ROOT, MAIN)} is missing: npm ci builds it (prepare), or run npm run build`);
  const port = await freePort();
  const base = `127.0.0.1:${port}`;
  const started = Date.now();
  const seconds = (from: number, to: number) => ((to - from) / 1000).toFixed(1);

  const child = spawn(process.execPath, [MAIN, 'serve', '--port', String(port), ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-64 * 1024)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((result) => (exit = result));
  const tail = () => stderr.trimEnd().split('\n').slice(-STDERR_TAIL_LINES).map((line) => `  | ${line}`).join('\n');
  const fail: (reason: string) => never = (reason) => {
    throw new SmokeFailure(`${reason}\nserve's stderr (last lines):\n${tail() || '  | (nothing)'}`);
  };
  const exitedEarly = () => exit && fail(`serve exited before the check finished (code ${exit.code}, signal ${exit.signal})`);

  let ws: WebSocket | undefined;
  try {
    // 1. GET /readyz answers 200 (models loaded, a source running).
    let last = 'no answer yet';
    for (const deadline = Date.now() + READY_TIMEOUT_MS; ; await sleep(250)) {
      exitedEarly();
      if (Date.now() > deadline) fail(`GET /readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${last})`);
      try {
        const response = await fetch(`http://${base}/readyz`, { signal: AbortSignal.timeout(5000) });
        last = `${response.status} ${(await response.text()).slice(0, 200)}`;
        if (response.status === 200) break;
      } catch (error) {
        last = (error as Error).message;
      }
    }
    const readyAt = Date.now();

    // 2. One binary frame message on /ws (length-prefixed JSON header + JPEGs, docs/protocol.md).
    const client = new WebSocket(`ws://${base}/ws`);
    ws = client;
    const frame = await new Promise<ReturnType<typeof decodeFrameMessage>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no binary frame message on /ws within ${FRAME_TIMEOUT_MS / 1000} s`)), FRAME_TIMEOUT_MS);
      const settle = (action: () => void) => {
        clearTimeout(timer);
        action();
      };
      client.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return;
        settle(() => {
          try {
            resolve(decodeFrameMessage(data));
          } catch (error) {
            reject(new Error(`a binary message that is not a frame: ${(error as Error).message}`));
          }
        });
      });
      client.once('error', (error) => settle(() => reject(new Error(`/ws: ${error.message}`))));
      client.once('close', (code) => settle(() => reject(new Error(`/ws closed (code ${code}) before a frame arrived`))));
      void exited.then(() => settle(() => reject(new Error('serve exited while waiting for a frame'))));
    }).catch((error: Error) => fail(error.message));
    const { header, source } = frame;
    if (header.type !== 'frame' || typeof header.streamId !== 'string' || !Number.isInteger(header.seq)) {
      fail(`the frame header is not a frame: ${JSON.stringify(header).slice(0, 200)}`);
    }
    if (source[0] !== 0xff || source[1] !== 0xd8) fail('the frame message carries no JPEG (no SOI marker)');
    const frameAt = Date.now();
    client.removeAllListeners('close');
    client.close();

    // 3. SIGTERM: a clean shutdown exits 0.
    const stopAt = Date.now();
    child.kill('SIGTERM');
    let exitTimer: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => (exitTimer = setTimeout(() => resolve(undefined), EXIT_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(exitTimer));
    if (!stopped) fail(`serve did not exit within ${EXIT_TIMEOUT_MS / 1000} s of SIGTERM`);
    if (stopped.code !== 0) fail(`serve exited with code ${stopped.code} (signal ${stopped.signal}) after SIGTERM, expected 0`);

    const label = header.ensemble?.label ?? '?';
    const truth = header.truth === undefined ? '' : `, truth ${header.truth}`;
    console.log(
      `smoke-start: ok: /readyz 200 after ${seconds(started, readyAt)} s; first frame ${seconds(readyAt, frameAt)} s later ` +
        `(stream ${header.streamId}, seq ${header.seq}, label ${label}${truth}, ${source.byteLength} B JPEG); ` +
        `exit 0 ${Date.now() - stopAt} ms after SIGTERM`,
    );
  } finally {
    ws?.terminate();
    if (!exit) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

main().catch((error: unknown) => {
  console.error(`smoke-start: FAILED: ${error instanceof SmokeFailure ? error.message : (error as Error).stack ?? String(error)}`);
  process.exit(1);
});
