/**
 * A real RTSP server for tests and trials: tools/rtsp-server.py (GStreamer's RTSP server through
 * PyGObject) serving a test pattern at rtsp://127.0.0.1:PORT/test. It can be stopped and started
 * again on the same port, as a camera that reboots.
 *
 * Debian packages: python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base
 * gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly (x264enc). The script runs under
 * /usr/bin/python3, where Debian installs python3-gi (RTSP_PYTHON overrides).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitOn } from './wait.js';

export const RTSP_SERVER_SCRIPT = fileURLToPath(new URL('../../tools/rtsp-server.py', import.meta.url));
export const RTSP_APT_PACKAGES = [
  'python3-gi',
  'gir1.2-gst-rtsp-server-1.0',
  'gstreamer1.0-plugins-base',
  'gstreamer1.0-plugins-good',
  'gstreamer1.0-plugins-ugly',
] as const;

export type RtspCodec = 'h264' | 'jpeg';

export function rtspPython(): string {
  return process.env['RTSP_PYTHON'] ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Why an RTSP server cannot be run here (for a skip message), or undefined when it can. */
export function rtspUnavailableReason(codec: RtspCodec = 'h264'): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(rtspPython(), [RTSP_SERVER_SCRIPT, '--check', '--codec', codec], { timeout: 20_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve(undefined);
      const why = stderr.trim().split('\n').at(-1) || error.message;
      resolve(`RTSP server prerequisites missing (${why}); apt-get install ${RTSP_APT_PACKAGES.join(' ')}`);
    });
  });
}

export interface RtspServerOptions {
  /** 0 picks a free port the first time; restarts reuse it. */
  port?: number;
  codec?: RtspCodec;
  size?: string;
  rate?: number;
}

export class RtspTestServer {
  readonly #options: Required<RtspServerOptions>;
  #process: ChildProcess | undefined;
  #port: number;
  /** Date.now() when the server last said READY. */
  upAt = 0;

  private constructor(options: RtspServerOptions) {
    this.#options = { port: 0, codec: 'h264', size: '160x120', rate: 25, ...options };
    this.#port = this.#options.port;
  }

  static async start(options: RtspServerOptions = {}): Promise<RtspTestServer> {
    const server = new RtspTestServer(options);
    await server.start();
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `rtsp://127.0.0.1:${this.#port}/test`;
  }

  get running(): boolean {
    return this.#process !== undefined;
  }

  /** Starts the server (again, on the same port once one was picked); resolves when it listens. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.#process) return;
    const { codec, size, rate } = this.#options;
    const child = spawn(rtspPython(), [RTSP_SERVER_SCRIPT, '--port', String(this.#port), '--codec', codec, '--size', size, '--rate', String(rate)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#process = child;
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    try {
      let stdout = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
      const listening = () => {
        const match = /READY rtsp:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
        if (!match && (child.exitCode !== null || child.signalCode !== null)) throw new Error(`RTSP server exited (${child.exitCode ?? child.signalCode}) before it was ready: ${stderr}`);
        return match ? Number(match[1]) : undefined;
      };
      const port = await waitOn(listening, [[child.stdout!, 'data'], [child, 'exit']], { what: 'the RTSP server to be ready', timeoutMs, detail: () => stderr });
      this.#port = port;
      this.upAt = Date.now();
    } catch (error) {
      this.#process = undefined;
      child.kill('SIGKILL');
      throw error;
    }
  }

  /** Stops the server (SIGTERM: clients see the connection close); resolves once it has exited. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#process = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
