/**
 * A real broker for the scale-out tests: Debian's nats-server with JetStream, on a loopback port of
 * its own with a store directory of its own, started and stopped by the test. `restart()` stops it
 * and starts it again on the same port and store (file streams survive, memory streams do not),
 * which is what a broker restart in production does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitOn } from './wait.js';

export const NATS_SERVER = process.env['NATS_SERVER_PATH'] ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');

export interface NatsServer {
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  /** What the server has logged since its last start. */
  readonly log: string;
  readonly running: boolean;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store, once stopped; resolves when it is ready. */
  start(): Promise<void>;
  /** Stops it and removes its store. */
  dispose(): Promise<void>;
}

/** Starts nats-server (on `port`, else one it picks, -p -1: no race for a free port) and resolves once it is ready. */
export async function startNatsServer({ port }: { port?: number } = {}): Promise<NatsServer> {
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-store-'));
  let listenPort = port ?? -1;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const start = async () => {
    log = '';
    const proc = spawn(NATS_SERVER, ['-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(listenPort)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const onText = (text: string) => (log += text);
    proc.stdout!.setEncoding('utf8').on('data', onText);
    proc.stderr!.setEncoding('utf8').on('data', onText);
    exited = new Promise((resolve) => proc.once('close', () => resolve()));
    await waitOn(
      () => {
        if (proc.exitCode !== null) throw new Error(`nats-server exited (${proc.exitCode}): ${log}`);
        return /Server is ready/.test(log) || undefined;
      },
      [[proc.stderr!, 'data'], [proc.stdout!, 'data'], [proc, 'exit']],
      { what: 'nats-server ready', timeoutMs: 15_000, detail: () => log },
    );
    // A restart takes the port the first start was given.
    listenPort = Number(/Listening for client connections on [^\s]+:(\d+)/.exec(log)![1]);
  };
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (isRunning()) child!.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    port: listenPort,
    url: `nats://127.0.0.1:${listenPort}`,
    storeDir,
    get log() {
      return log;
    },
    get running() {
      return isRunning();
    },
    stop,
    start: async () => {
      if (isRunning()) throw new Error('nats-server is already running');
      await start();
    },
    dispose: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
