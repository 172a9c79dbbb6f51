/**
 * The one module that talks to ffmpeg, through fluent-ffmpeg. Its repository was archived in 2025,
 * so it is kept behind this small surface: `decodePlan` decides the arguments (plain data, unit
 * tested), `DecodeProcess.start` runs them, `probe` runs ffprobe. Replacing fluent-ffmpeg with a
 * direct `spawn(ffmpegBinaries().ffmpegPath, decodeArgv(plan))` would touch this file only. Which
 * binaries run is ffmpeg-binaries.ts's choice (configured, system, else the bundled npm builds).
 */
import type { ChildProcess } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { FfmpegUnavailableError, SourceUnreadableError } from './errors.js';
import { ffmpegBinaries, type FfmpegBinaries } from './ffmpeg-binaries.js';
import { parseFrameRate, type SourceInput } from './source-url.js';

/** How a picture of another aspect ratio is fitted to width x height: cut the overflow, or letterbox. */
export type Fit = 'crop' | 'pad';

export interface DecodeOutput {
  width: number;
  height: number;
  fit: Fit;
  /** Resample to this frame rate (ffmpeg's fps filter drops or repeats frames); source rate if unset. */
  fps?: number | undefined;
  /** Read the input at its native rate (`-re`): for files and lavfi graphs that should behave live. */
  realtime: boolean;
}

/** ffmpeg arguments for one decode, split the way fluent-ffmpeg wants them. */
export interface DecodePlan {
  /** Global and input options, placed before `-i`. */
  inputOptions: string[];
  /** The `-i` argument. */
  input: string;
  /** Output options; the output itself is ffmpeg's stdout. */
  outputOptions: string[];
}

/** Lines of ffmpeg's stderr kept for error messages. */
export const STDERR_TAIL_LINES = 20;

export function decodePlan(input: SourceInput, output: DecodeOutput): DecodePlan {
  // -nostdin: ffmpeg would otherwise read keyboard commands from the pipe we hold open.
  // -loglevel warning: the stderr tail then holds the problem, not the banner and stream dump.
  const inputOptions = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];
  if (output.realtime) inputOptions.push('-re');
  switch (input.kind) {
    case 'rtsp':
      inputOptions.push('-rtsp_transport', 'tcp'); // UDP loses packets -> smeared frames
      break;
    case 'v4l2':
      inputOptions.push('-f', 'v4l2');
      break;
    case 'lavfi':
      inputOptions.push('-f', 'lavfi');
      break;
    case 'file':
    case 'http':
    case 'network':
      break;
  }
  const outputOptions = [
    '-map', '0:v:0',
    '-an', '-sn', '-dn',
    '-vf', videoFilter(output),
    '-pix_fmt', 'rgb24',
    '-f', 'rawvideo',
  ];
  return { inputOptions, input: ffmpegInput(input), outputOptions };
}

/** The whole ffmpeg command line of a plan (for logs, and for a direct spawn). */
export function decodeArgv(plan: DecodePlan): string[] {
  return [...plan.inputOptions, '-i', plan.input, ...plan.outputOptions, 'pipe:1'];
}

/**
 * Scale to cover (crop) or to fit inside (pad) width x height, keeping the aspect ratio, then cut
 * or letterbox to the exact size; the fps filter goes first so dropped frames are never scaled.
 * Shrinking averages boxes of source pixels (swscale's `area`), as the models' own resize does
 * (manifest `resize: area`); it is also cheaper than swscale's default bicubic, whose taps grow
 * with the shrink factor (a 720p clip to 32x32: 1.20 s of ffmpeg CPU for 500 frames against 1.49).
 */
export function videoFilter({ width, height, fit, fps }: Pick<DecodeOutput, 'width' | 'height' | 'fit' | 'fps'>): string {
  const filters = fps ? [`fps=${fps}`] : [];
  if (fit === 'crop') {
    filters.push(`scale=${width}:${height}:force_original_aspect_ratio=increase:flags=area`, `crop=${width}:${height}`);
  } else {
    filters.push(
      `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=area`,
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black`,
    );
  }
  return filters.join(',');
}

function ffmpegInput(input: SourceInput): string {
  switch (input.kind) {
    case 'file':
      return input.path;
    case 'v4l2':
      return input.device;
    case 'lavfi':
      return input.graph;
    case 'rtsp':
    case 'http':
    case 'network':
      return input.url;
  }
}

/** How a decode ended. */
export interface DecodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when ffmpeg never ran (binary missing, format unsupported by this build). */
  startError?: Error;
}

/**
 * One running ffmpeg decode. `stdout` carries raw rgb24 frames; pause it to pause ffmpeg (the
 * pipe fills and ffmpeg blocks on write). `finished` resolves once ffmpeg has exited AND its
 * output has been read to the end (or discarded by `kill`), so no frame is lost at a normal end.
 */
export class DecodeProcess {
  readonly stdout: Readable;
  readonly finished: Promise<DecodeExit>;
  readonly #stderr: string[] = [];
  #child: ChildProcess | undefined;
  #killSignal: NodeJS.Signals | undefined;

  private constructor(plan: DecodePlan) {
    const output = new PassThrough();
    this.stdout = output;
    let binaries: FfmpegBinaries;
    try {
      binaries = ffmpegBinaries();
    } catch (error) {
      // No usable ffmpeg at all: end like a failed spawn, with the resolver's FfmpegUnavailableError.
      output.destroy();
      this.finished = Promise.resolve({ code: null, signal: null, startError: error as Error });
      return;
    }
    const command = ffmpeg()
      .setFfmpegPath(binaries.ffmpegPath)
      .input(plan.input)
      // Spread: given two or more arguments, fluent-ffmpeg takes each as one argv entry verbatim
      // (a single string would be split at a space). Plans always hold several options.
      .inputOptions(...plan.inputOptions)
      .outputOptions(...plan.outputOptions);

    this.finished = new Promise<DecodeExit>((resolve) => {
      let exit: DecodeExit | undefined;
      let outputClosed = false;
      const settle = () => {
        if (exit && outputClosed) resolve(exit);
      };
      output.once('close', () => {
        outputClosed = true;
        settle();
      });
      command.on('start', () => {
        const child = (command as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
        if (!child) return;
        this.#child = child;
        trackChild(child);
        child.once('exit', (code, signal) => {
          exit = { code, signal };
          settle();
        });
        // A failed spawn (e.g. FFMPEG_PATH points nowhere) emits 'error' and never 'exit'.
        child.once('error', (error) => {
          if (child.pid !== undefined) return;
          exit = { code: null, signal: null, startError: error };
          output.destroy();
          settle();
        });
        if (this.#killSignal) child.kill(this.#killSignal);
      });
      command.on('stderr', (line: string) => {
        if (line.trim() === '') return;
        this.#stderr.push(line);
        if (this.#stderr.length > STDERR_TAIL_LINES) this.#stderr.shift();
      });
      // fluent-ffmpeg also reports exits here ("ffmpeg exited with code 1", "Output stream
      // closed"); those are read from the child itself above. Only a failure to start matters.
      command.on('error', (error: Error) => {
        if (this.#child) return;
        exit = { code: null, signal: null, startError: error };
        output.destroy();
        settle();
      });
    });

    command.pipe(output, { end: true });
  }

  /** Starts ffmpeg for `plan`. The process is spawned asynchronously: `pid` is unknown at first. */
  static start(plan: DecodePlan): DecodeProcess {
    return new DecodeProcess(plan);
  }

  /** The ffmpeg process, once spawned. */
  get child(): ChildProcess | undefined {
    return this.#child;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The last lines ffmpeg wrote to stderr (at most STDERR_TAIL_LINES), oldest first. */
  stderrTail(): string[] {
    return [...this.#stderr];
  }

  /**
   * Ends ffmpeg (SIGKILL by default: there is no output file to finalise) and discards unread
   * output. Safe before the spawn (the process is killed as soon as it exists) and after exit.
   */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.#killSignal ??= signal;
    if (this.#child && this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill(signal);
    this.stdout.destroy();
  }
}

export interface ProbeResult {
  width: number;
  height: number;
  /** Average (else nominal) frame rate; undefined when the container does not say. */
  fps: number | undefined;
  /** Frame count the container declares (nb_frames); undefined when it does not say. */
  frameCount: number | undefined;
  durationMs: number | undefined;
  codec: string | undefined;
}

/**
 * Runs ffprobe on a source and describes its first video stream. Meant for files and lavfi
 * graphs: a network source may take long to answer and ffprobe has no timeout here.
 * @throws SourceUnreadableError when ffprobe fails or finds no video stream (with its stderr);
 *   FfmpegUnavailableError when ffprobe cannot be found.
 */
export async function probe(input: SourceInput, context: { sourceId?: string } = {}): Promise<ProbeResult> {
  const options = ['-hide_banner', '-v', 'error'];
  if (input.kind === 'lavfi') options.push('-f', 'lavfi');
  if (input.kind === 'v4l2') options.push('-f', 'v4l2');
  if (input.kind === 'rtsp') options.push('-rtsp_transport', 'tcp');

  let ffprobePath: string;
  try {
    ({ ffprobePath } = ffmpegBinaries());
  } catch (error) {
    if (!(error instanceof FfmpegUnavailableError)) throw error;
    throw new FfmpegUnavailableError(error.detail, { sourceId: context.sourceId, url: input.url, cause: error });
  }
  const data = await new Promise<ffmpeg.FfprobeData>((resolve, reject) => {
    ffmpeg(ffmpegInput(input)).setFfprobePath(ffprobePath).ffprobe(options, (error: Error | null, result: ffmpeg.FfprobeData) =>
      error ? reject(error) : resolve(result),
    );
  }).catch((error: Error & { code?: string }) => {
    const context_ = { sourceId: context.sourceId, url: input.url, cause: error };
    if (error.code === 'ENOENT' || /Cannot find ffprobe/.test(error.message)) {
      throw new FfmpegUnavailableError('ffprobe was not found (install ffmpeg)', context_);
    }
    // fluent-ffmpeg appends ffprobe's stderr to the message, after the first line.
    const [summary, ...stderr] = error.message.split('\n').filter((line) => line.trim() !== '');
    // ffprobe's last line says what is wrong ("...: Invalid data found when processing input").
    const problem = stderr.at(-1)?.trim().slice(0, 200);
    throw new SourceUnreadableError(problem ? `ffprobe failed: ${problem}` : `ffprobe failed (${summary})`, {
      ...context_,
      stderrTail: stderr.slice(-STDERR_TAIL_LINES),
    });
  });

  const video = data.streams.find((stream) => stream.codec_type === 'video');
  if (!video?.width || !video.height) {
    throw new SourceUnreadableError('no video stream found', { sourceId: context.sourceId, url: input.url });
  }
  const frameCount = Number(video.nb_frames);
  const durationSeconds = Number(data.format.duration ?? video.duration);
  return {
    width: video.width,
    height: video.height,
    fps: parseFrameRate(video.avg_frame_rate) ?? parseFrameRate(video.r_frame_rate),
    frameCount: Number.isInteger(frameCount) && frameCount > 0 ? frameCount : undefined,
    durationMs: Number.isFinite(durationSeconds) && durationSeconds > 0 ? durationSeconds * 1000 : undefined,
    codec: video.codec_name,
  };
}

// Children still running when Node exits are killed, so a crash of the pipeline leaves no ffmpeg
// behind (one 'exit' listener for all of them, however many sources there are).
const runningChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    process.once('exit', killRunningChildren);
    exitHookInstalled = true;
  }
  runningChildren.add(child);
  child.once('exit', () => runningChildren.delete(child));
}

function killRunningChildren(): void {
  for (const child of runningChildren) child.kill('SIGKILL');
}
