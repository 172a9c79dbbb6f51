/**
 * A nats-server with JetStream on this machine, for the distributed bench and the tests: started
 * on a loopback port it picks (-p -1, no race for a free port) with a store directory of its own.
 * `stop()` then `start()` is a broker restart: same port, same store (file streams survive, memory
 * streams do not). Production runs its own broker (deploy/docker-compose.yml).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** $NATS_SERVER_PATH, else Debian's /usr/sbin/nats-server, else nats-server on PATH. */
export function natsServerPath(): string {
  return process.env['NATS_SERVER_PATH'] ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
}

export interface LocalBroker {
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

const READY_TIMEOUT_MS = 15_000;

export interface LocalBrokerOptions {
  /** nats-server configuration text (an `authorization` or `tls` block...); the flags above it still apply. */
  config?: string;
}

export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-store-'));
  const configArgs: string[] = [];
  if (options.config !== undefined) {
    const file = join(storeDir, 'nats-server.conf');
    await writeFile(file, options.config);
    configArgs.push('-c', file);
  }
  let port = -1;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async () => {
    if (isRunning()) throw new Error('nats-server is already running');
    log = '';
    const proc = spawn(natsServerPath(), [...configArgs, '-js', '-sd', storeDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
      const onText = (text: string) => {
        log += text;
        if (/Server is ready/.test(log)) done(resolve);
      };
      const fail = (why: string) => done(() => reject(new Error(`nats-server ${why}: ${log.trim() || '(no output)'}`)));
      const onExit = (code: number | null) => fail(`exited (${code})`);
      const onError = (error: Error) => fail(`could not start (${error.message}; install nats-server or set NATS_SERVER_PATH)`);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        proc.off('exit', onExit).off('error', onError);
        settle();
      };
      proc.stdout!.setEncoding('utf8').on('data', onText);
      proc.stderr!.setEncoding('utf8').on('data', onText);
      proc.once('exit', onExit).once('error', onError);
    });
    // A restart takes the port the first start was given.
    port = Number(/Listening for client connections on \S+:(\d+)/.exec(log)![1]);
  };
  const stop = async () => {
    if (isRunning()) child!.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    storeDir,
    get log() {
      return log;
    },
    get running() {
      return isRunning();
    },
    stop,
    start,
    dispose: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
