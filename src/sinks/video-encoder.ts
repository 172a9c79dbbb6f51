/**
 * Encodes raw rgb24 frames into a video file by spawning the `ffmpeg` binary and writing the
 * frames to its stdin. This does not go through fluent-ffmpeg (ffmpeg.ts): fluent-ffmpeg is built
 * around input files and output pipes, and has no convenient way to hand us a writable stdin with
 * its backpressure, which is the whole job here. The argv is plain data (`encodeArgv`), tested
 * on its own.
 *
 *   const sink = await encodeRawVideo({ output: 'out.mkv', width: 32, height: 32, fps: 1 });
 *   for (const frame of frames) await sink.write(frame);   // waits while ffmpeg's pipe is full
 *   await sink.close();                                     // rejects with ffmpeg's stderr on failure
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ffmpegBinaries } from '../stream/ffmpeg-binaries.js';

export type EncodeErrorCode =
  /** Bad options or a frame of the wrong size. */
  | 'ENCODE_INVALID'
  /** The ffmpeg binary is missing. */
  | 'FFMPEG_UNAVAILABLE'
  /** ffmpeg exited with an error (unknown codec, unwritable output...), or was used after it died. */
  | 'ENCODE_FAILED';

export class EncodeError extends Error {
  readonly code: EncodeErrorCode;
  readonly output: string;
  /** Last lines ffmpeg wrote to stderr, oldest first. */
  readonly stderrTail: readonly string[];

  constructor(code: EncodeErrorCode, output: string, detail: string, options: { stderrTail?: readonly string[]; cause?: unknown } = {}) {
    const tail = options.stderrTail?.length ? `\nffmpeg stderr (last ${options.stderrTail.length} lines):\n${options.stderrTail.map((l) => `  ${l}`).join('\n')}` : '';
    super(`encoding ${output}: ${detail}${tail}`, { cause: options.cause });
    this.name = 'EncodeError';
    this.code = code;
    this.output = output;
    this.stderrTail = options.stderrTail ?? [];
  }
}

export interface EncodeOptions {
  /** Output file; its extension picks the container. */
  output: string;
  width: number;
  height: number;
  /** Frames per second: a number (29.97 and other n/1001 rates are recognised) or a rational like "30000/1001". */
  fps: number | string;
  /** ffmpeg encoder name; default 'ffv1' (lossless). */
  codec?: string;
  /** Output pixel format (e.g. 'yuv420p' for players); default: ffmpeg's closest lossless match for rgb24. */
  pixelFormat?: string;
  /** Extra input options placed before `-i pipe:0`, e.g. ['-use_wallclock_as_timestamps', '1']. */
  inputArgs?: readonly string[];
  /** Extra output options placed before the output file, e.g. ['-crf', '18']. */
  outputArgs?: readonly string[];
  /** Replace an existing output file (default true). */
  overwrite?: boolean;
}

export interface EncodeResult {
  output: string;
  frames: number;
}

const STDERR_TAIL_LINES = 20;

/** The ffmpeg command line (without the binary) for an encode. */
export function encodeArgv(options: EncodeOptions): string[] {
  const { output, width, height, codec = 'ffv1', pixelFormat, inputArgs = [], outputArgs = [], overwrite = true } = options;
  return [
    '-hide_banner', '-nostats', '-loglevel', 'warning',
    overwrite ? '-y' : '-n',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-video_size', `${width}x${height}`, '-framerate', fpsToRational(options.fps),
    ...inputArgs,
    '-i', 'pipe:0',
    '-an',
    '-c:v', codec,
    ...(pixelFormat ? ['-pix_fmt', pixelFormat] : []),
    ...outputArgs,
    output,
  ];
}

/**
 * A frame rate as ffmpeg's exact rational: 30 -> "30", 29.97002997 -> "30000/1001", 0.5 -> "1/2".
 * Strings are passed through, so a probed "30000/1001" needs no round trip through a float.
 */
export function fpsToRational(fps: number | string): string {
  if (typeof fps === 'string') return fps;
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`fps must be > 0, got ${fps}`);
  if (Number.isInteger(fps)) return String(fps);
  const ntsc = (fps * 1001) / 1000;
  if (Math.abs(ntsc - Math.round(ntsc)) < 1e-3) return `${Math.round(ntsc) * 1000}/1001`;
  for (const denominator of [2, 3, 4, 5, 8, 10, 100, 1000]) {
    const numerator = fps * denominator;
    if (Math.abs(numerator - Math.round(numerator)) < 1e-6) return `${Math.round(numerator)}/${denominator}`;
  }
  return fps.toFixed(6);
}

/** Runs `ffmpeg -hide_banner ...args` once per process and keeps what `parse` makes of its stdout (a failure is not kept). */
function askFfmpegOnce<T>(args: readonly string[], parse: (stdout: string) => T): () => Promise<T> {
  let answer: Promise<T> | undefined;
  return () => {
    answer ??= Promise.resolve().then(() => promisify(execFile)(ffmpegBinaries().ffmpegPath, ['-hide_banner', ...args], { maxBuffer: 4 * 1024 * 1024 })).then(
      ({ stdout }) => parse(stdout),
      (error: NodeJS.ErrnoException) => {
        answer = undefined;
        throw error.code === 'ENOENT'
          ? new EncodeError('FFMPEG_UNAVAILABLE', '(probe)', 'ffmpeg was not found (install ffmpeg)', { cause: error })
          : error;
      },
    );
    return answer;
  };
}

/** Names of the video encoders this ffmpeg build has (asked once per process). */
export const videoEncoders = askFfmpegOnce(['-encoders'], (stdout) => new Set([...stdout.matchAll(/^\s*V\S*\s+(\S+)/gm)].map((m) => m[1])));

/**
 * The option that sets how output frames follow the input's timestamps: `-fps_mode` since
 * ffmpeg 5.1 (where `-vsync` warns that it is deprecated), `-vsync` in older builds such as the
 * bundled static one.
 */
export const frameSyncOption = askFfmpegOnce(['-h', 'long'], (stdout) => (/^-fps_mode\b/m.test(stdout) ? '-fps_mode' : '-vsync'));

/** The first of `preferred` this ffmpeg can encode with, e.g. pickEncoder(['libx264', 'mpeg4']). */
export async function pickEncoder(preferred: readonly string[]): Promise<string> {
  const available = await videoEncoders();
  const found = preferred.find((name) => available.has(name));
  if (!found) throw new EncodeError('FFMPEG_UNAVAILABLE', '(probe)', `this ffmpeg has none of the encoders ${preferred.join(', ')}`);
  return found;
}

/** Starts ffmpeg for the encode; resolves once it is running (fails fast when the binary is missing). */
export async function encodeRawVideo(options: EncodeOptions): Promise<RawVideoSink> {
  validate(options);
  const child = spawn(ffmpegBinaries().ffmpegPath, encodeArgv(options), { stdio: ['pipe', 'ignore', 'pipe'] });
  const spawned = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (error) => resolve(error));
  });
  if (spawned) {
    throw spawned.code === 'ENOENT'
      ? new EncodeError('FFMPEG_UNAVAILABLE', options.output, 'ffmpeg was not found (install ffmpeg)', { cause: spawned })
      : new EncodeError('ENCODE_FAILED', options.output, `ffmpeg could not start: ${spawned.message}`, { cause: spawned });
  }
  return new RawVideoSink(child, options);
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running encode: write frames in order, then close (or abort). */
export class RawVideoSink {
  readonly output: string;
  readonly frameBytes: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<Exit>;
  readonly #stderr: string[] = [];
  #frames = 0;
  #ended = false;
  #exit: Exit | undefined;

  /** Use encodeRawVideo(). */
  constructor(child: ChildProcess, options: EncodeOptions) {
    this.#child = child;
    this.output = options.output;
    this.frameBytes = options.width * options.height * 3;
    this.#exited = new Promise<Exit>((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    // EPIPE when ffmpeg dies mid-write (and any later child error): reported through the exit
    // status instead of crashing the process as unhandled 'error' events.
    child.stdin!.on('error', () => {});
    child.on('error', () => {});
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      const lines = (partial + text).split(/\r?\n/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.#remember(line);
    });
    child.stderr!.once('end', () => partial.trim() !== '' && this.#remember(partial));
  }

  /** Frames accepted so far. */
  get frames(): number {
    return this.#frames;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Queues one packed rgb24 frame; resolves once ffmpeg's pipe can take more (backpressure).
   * The sink keeps a reference to `frame` until it is flushed: do not modify it afterwards.
   */
  async write(frame: Uint8Array): Promise<void> {
    if (this.#ended) throw new EncodeError('ENCODE_INVALID', this.output, 'write after close');
    if (frame.length !== this.frameBytes) {
      throw new EncodeError('ENCODE_INVALID', this.output, `frame ${this.#frames} holds ${frame.length} bytes, expected ${this.frameBytes}`);
    }
    if (this.#exit) throw this.#failure(this.#exit, `ffmpeg exited before frame ${this.#frames}`);
    this.#frames++;
    const stdin = this.#child.stdin!;
    if (stdin.write(frame)) return;
    const drained = await new Promise<boolean>((resolve) => {
      const settle = (ok: boolean) => () => {
        stdin.off('drain', onDrain);
        stdin.off('error', onError);
        stdin.off('close', onError);
        resolve(ok);
      };
      const onDrain = settle(true);
      const onError = settle(false); // EPIPE: ffmpeg is gone; its exit status says why
      stdin.once('drain', onDrain);
      stdin.once('error', onError);
      stdin.once('close', onError);
    });
    if (!drained) throw this.#failure(await this.#exited, `ffmpeg exited after ${this.#frames} frames`);
  }

  /** Ends the input and waits for ffmpeg to finish the file. */
  async close(): Promise<EncodeResult> {
    this.#ended = true;
    this.#child.stdin!.end();
    const exit = await this.#exited;
    if (exit.code !== 0) throw this.#failure(exit, 'ffmpeg failed');
    return { output: this.output, frames: this.#frames };
  }

  /** Kills ffmpeg and deletes the partial output (a half-written video is of no use). */
  async abort(): Promise<void> {
    this.#ended = true;
    if (!this.#exit) this.#child.kill('SIGKILL');
    await this.#exited;
    await rm(this.output, { force: true });
  }

  #remember(line: string): void {
    this.#stderr.push(line);
    if (this.#stderr.length > STDERR_TAIL_LINES) this.#stderr.shift();
  }

  #failure(exit: Exit, what: string): EncodeError {
    const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
    return new EncodeError('ENCODE_FAILED', this.output, `${what} (${how})`, { stderrTail: [...this.#stderr] });
  }
}

function validate(options: EncodeOptions): void {
  const problems: string[] = [];
  if (typeof options.output !== 'string' || options.output === '') problems.push('output must be a file path');
  for (const key of ['width', 'height'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) problems.push(`${key} must be a positive integer, got ${options[key]}`);
  }
  if (typeof options.fps === 'number' && !(Number.isFinite(options.fps) && options.fps > 0)) problems.push(`fps must be > 0, got ${options.fps}`);
  if (typeof options.fps === 'string' && !/^\d+(\.\d+)?(\/\d+)?$/.test(options.fps)) problems.push(`fps must be a number or a rational like 30000/1001, got "${options.fps}"`);
  if (problems.length > 0) throw new EncodeError('ENCODE_INVALID', String(options.output), problems.join('; '));
}
