import { Observable, ReplaySubject, Subject } from 'rxjs';
import { DEFAULT_RESTART_POLICY, restartDelayMs, type RestartPolicy } from './backoff.js';
import {
  FfmpegUnavailableError,
  InvalidSourceError,
  SourceError,
  SourceFailedError,
  SourceUnreadableError,
} from './errors.js';
import { DecodeProcess, decodeArgv, decodePlan, probe, type DecodeExit, type DecodePlan, type Fit, type ProbeResult } from './ffmpeg.js';
import type { Frame } from './frame.js';
import { FrameReader } from './frame-reader.js';
import { defaultModeFor, parseSourceUrl, type SourceInput } from './source-url.js';

/** 'live': keep up, restart on failure. 'replay': every frame in order, end at end of input. */
export type SourceMode = 'live' | 'replay';

export interface FrameSourceOptions {
  /** Stable id (config `sources[].id`), stamped on every frame as `streamId`. */
  id: string;
  /** Source string, see parseSourceUrl: file path, rtsp://, http(s)://, srt://..., /dev/videoN, lavfi:<graph>. */
  url: string;
  /** Default: 'replay' for files, 'live' for everything else. */
  mode?: SourceMode;
  /**
   * Read at the input's own frame rate (ffmpeg -re) instead of as fast as possible. Applies to
   * files, lavfi graphs and http(s) (which would otherwise race); cameras, RTSP and other network
   * streams are paced by their sender, and -re would only add latency there, so it is ignored.
   * Default: true in live mode, false in replay mode.
   */
  realtime?: boolean;
  /** Display size of the decoded frames. */
  width: number;
  height: number;
  /** Keep the aspect ratio by cutting the overflow ('crop') or letterboxing ('pad'). */
  fit: Fit;
  /**
   * Frame-rate cap. When the source's rate is known (files: ffprobe; lavfi: the graph) and not
   * above the cap, nothing changes. Otherwise ffmpeg's fps filter resamples to exactly this rate
   * (dropping frames; for a camera of unknown rate slower than the cap, repeating some).
   * ptsMs uses the resulting rate; with neither a cap nor a known rate (cameras, network streams)
   * it falls back to wall-clock time since the run's first frame.
   */
  fps?: number | undefined;
  /** Live: restart ffmpeg after this long without a frame. Replay: fail. Default 5000. */
  stallTimeoutMs?: number;
  /** Replay: frames emitted but not yet `release`d before ffmpeg is paused. Default 32. */
  maxInFlight?: number;
  /** Live restarts; `maxAttempts: null` (or Infinity) retries forever. */
  restart?: Partial<Omit<RestartPolicy, 'maxAttempts'>> & { maxAttempts?: number | null | undefined };
}

export type SourceState = 'starting' | 'running' | 'reconnecting' | 'ended' | 'error';

/** What happened to a source, in order; `at` is Date.now(). */
export type SourceStateEvent =
  /** ffmpeg is being spawned; attempt 0 is the first start, n the n-th consecutive restart. */
  | { state: 'starting'; sourceId: string; attempt: number; at: number }
  /** The first frame of this run arrived. */
  | { state: 'running'; sourceId: string; attempt: number; pid: number | undefined; at: number }
  /** The run ended (exit, crash or stall); restart `attempt` follows after `delayMs`. */
  | {
      state: 'reconnecting';
      sourceId: string;
      attempt: number;
      delayMs: number;
      reason: string;
      stderrTail: string[];
      at: number;
    }
  /** End of a replayed input, or stop(). Terminal: frames$ completes. */
  | { state: 'ended'; sourceId: string; reason: 'end-of-input' | 'stopped'; at: number }
  /** Terminal: frames$ errors with the same error. */
  | { state: 'error'; sourceId: string; error: SourceError; at: number };

export interface SourceStats {
  state: SourceState | 'idle';
  /** Frames read from ffmpeg since start(), across restarts. */
  framesRead: number;
  restarts: number;
  /** Replay: frames emitted and not yet released. */
  inFlight: number;
  /** Replay: ffmpeg's output is paused because the in-flight window is full. */
  paused: boolean;
}

const DEFAULT_STALL_TIMEOUT_MS = 5000;
const DEFAULT_MAX_IN_FLIGHT = 32;

/** One ffmpeg process and the reader cutting its output into frames. */
interface Run {
  readonly process: DecodeProcess;
  readonly reader: FrameReader;
  firstFrameAt: number | undefined;
  /** Set when this source killed the process, e.g. "no frame for 5000 ms". */
  killedFor: string | undefined;
}

/**
 * One configured video source: supervises ffmpeg and turns its output into Frames.
 *
 * Live mode: frames are pushed as they come (pair with latestFrame/fairMerge to drop stale ones);
 * ffmpeg is restarted with exponential backoff and full jitter when it exits, crashes or stalls,
 * and the first frame of every run is marked `discontinuity: true`.
 *
 * Replay mode: every frame, in order. At most `maxInFlight` frames are emitted and not yet
 * released; beyond that ffmpeg's stdout is paused, so memory stays bounded whatever the consumer's
 * speed. The consumer must call `release(n)` once it is done with n frames (one consumer releases).
 *
 * @example
 *   const source = await FrameSource.create({ id: 'cam1', url: 'rtsp://cam/1', width: 64, height: 48, fit: 'crop' });
 *   source.states$.subscribe((event) => log.info(event));
 *   source.frames$.subscribe(handleFrame);  // subscribe before start(): frames$ is hot
 *   source.start();
 *   ...
 *   await source.stop();                     // ffmpeg is gone when this resolves
 */
export class FrameSource {
  readonly id: string;
  readonly input: SourceInput;
  readonly mode: SourceMode;
  /** ffprobe's description of a file source (probed by create); undefined for other sources. */
  readonly probed: ProbeResult | undefined;
  /** Hot: frames read before anyone subscribes are lost. Completes on 'ended', errors on 'error'. */
  readonly frames$: Observable<Frame>;
  /** Replays the latest event to a new subscriber; completes after 'ended' or 'error'. */
  readonly states$: Observable<SourceStateEvent>;

  readonly #frames = new Subject<Frame>();
  readonly #states = new ReplaySubject<SourceStateEvent>(1);
  readonly #plan: DecodePlan;
  readonly #width: number;
  readonly #height: number;
  readonly #fps: number | undefined;
  readonly #stallTimeoutMs: number;
  readonly #maxInFlight: number;
  readonly #restart: RestartPolicy;

  #state: SourceState | 'idle' = 'idle';
  #run: Run | undefined;
  #attempt = 0;
  #restarts = 0;
  #framesRead = 0;
  #inFlight = 0;
  /** Replay: frames read from ffmpeg, waiting for room in the in-flight window. */
  #pending: Frame[] = [];
  #paused = false;
  #draining = false;
  /** Replay: ffmpeg ended cleanly; the source ends once `#pending` is empty. */
  #inputEnded = false;
  #stallTimer: NodeJS.Timeout | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(options: FrameSourceOptions, input: SourceInput, probed: ProbeResult | undefined) {
    this.id = options.id;
    this.input = input;
    this.mode = options.mode ?? defaultModeFor(input);
    this.probed = probed;
    this.frames$ = this.#frames.asObservable();
    this.states$ = this.#states.asObservable();
    this.#width = options.width;
    this.#height = options.height;
    const sourceRate = input.kind === 'lavfi' ? input.fps : probed?.fps;
    const cap = options.fps;
    const resample = cap !== undefined && !(sourceRate !== undefined && sourceRate <= cap);
    this.#fps = resample ? cap : sourceRate;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
    const { maxAttempts, ...restart } = options.restart ?? {};
    this.#restart = {
      ...DEFAULT_RESTART_POLICY,
      ...withoutUndefined(restart),
      maxAttempts: maxAttempts === null ? Infinity : maxAttempts ?? DEFAULT_RESTART_POLICY.maxAttempts,
    };
    const paceable = input.kind === 'file' || input.kind === 'lavfi' || input.kind === 'http';
    this.#plan = decodePlan(input, {
      width: options.width,
      height: options.height,
      fit: options.fit,
      fps: resample ? cap : undefined,
      realtime: paceable && (options.realtime ?? this.mode === 'live'),
    });
  }

  /**
   * Checks the options, classifies the URL and, for a file, runs ffprobe: a missing or unreadable
   * file fails here, before anything is started. Starts nothing; call start().
   * @throws InvalidSourceError, SourceUnreadableError, FfmpegUnavailableError
   */
  static async create(options: FrameSourceOptions): Promise<FrameSource> {
    validateOptions(options);
    let input: SourceInput;
    try {
      input = parseSourceUrl(options.url);
    } catch (error) {
      throw error instanceof InvalidSourceError
        ? new InvalidSourceError(error.detail, { sourceId: options.id, url: options.url, cause: error.cause })
        : error;
    }
    const probed = input.kind === 'file' ? await probe(input, { sourceId: options.id }) : undefined;
    return new FrameSource(options, input, probed);
  }

  /** The ffmpeg command line this source runs, for logs (redact it: URLs may hold credentials). */
  get ffmpegArgs(): string[] {
    return decodeArgv(this.#plan);
  }

  /** Rate of the frames it emits (the source's own, or the cap it resamples to); undefined when unknown (cameras, network streams). */
  get fps(): number | undefined {
    return this.#fps;
  }

  /** Process id of the current ffmpeg, once spawned (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.#run?.process.pid;
  }

  stats(): SourceStats {
    return {
      state: this.#state,
      framesRead: this.#framesRead,
      restarts: this.#restarts,
      inFlight: this.#inFlight,
      paused: this.#paused,
    };
  }

  /** Spawns ffmpeg. Subscribe to frames$ first. Calling it twice, or after stop(), does nothing. */
  start(): void {
    if (this.#state !== 'idle' || this.#stopping) return;
    this.#startRun();
  }

  /**
   * Replay: the consumer is done with `count` frames (processed or discarded); frees room in the
   * in-flight window and resumes ffmpeg if it was paused. Live sources are never paused, so this
   * is a no-op there: the pipeline may release every frame it finishes, whatever its source.
   */
  release(count = 1): void {
    if (this.mode !== 'replay' || count <= 0) return;
    this.#inFlight = Math.max(0, this.#inFlight - count);
    this.#drain();
  }

  /**
   * Ends ffmpeg and completes frames$ (state 'ended', reason 'stopped'). Resolves once the ffmpeg
   * process has exited: no child is left behind. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutDown();
    return this.#stopping;
  }

  async #shutDown(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#clearStallTimer();
    const run = this.#run;
    if (run) {
      run.process.kill();
      await run.process.finished;
    }
    this.#run = undefined;
    this.#pending = [];
    if (this.#state !== 'ended' && this.#state !== 'error') this.#end('stopped');
  }

  #startRun(): void {
    if (this.#stopping || this.#isTerminal()) return;
    const run: Run = {
      process: DecodeProcess.start(this.#plan),
      reader: new FrameReader({
        streamId: this.id,
        width: this.#width,
        height: this.#height,
        fps: this.#fps,
        firstSeq: this.#framesRead,
      }),
      firstFrameAt: undefined,
      killedFor: undefined,
    };
    this.#run = run;
    this.#paused = false;
    this.#clearStallTimer();
    this.#setState({ state: 'starting', sourceId: this.id, attempt: this.#attempt, at: Date.now() });
    run.process.stdout.on('data', (chunk: Buffer) => this.#onChunk(run, chunk));
    void run.process.finished.then((exit) => this.#onRunFinished(run, exit));
    this.#armStallTimer();
  }

  #onChunk(run: Run, chunk: Buffer): void {
    if (run !== this.#run || this.#stopping) return;
    const frames = run.reader.push(chunk);
    if (frames.length === 0) return;
    this.#framesRead += frames.length;
    this.#armStallTimer();
    if (run.firstFrameAt === undefined) {
      run.firstFrameAt = performance.now();
      this.#setState({ state: 'running', sourceId: this.id, attempt: this.#attempt, pid: run.process.pid, at: Date.now() });
    }
    if (this.mode === 'live') {
      for (const frame of frames) {
        if (this.#stopping) return; // a listener stopped us mid-chunk
        this.#frames.next(frame);
      }
    } else {
      this.#pending.push(...frames);
      this.#drain();
    }
  }

  /** Replay: emit pending frames while the window has room; pause ffmpeg while it has none. */
  #drain(): void {
    // A consumer releasing synchronously inside next() re-enters here; the outer loop serves it.
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#pending.length > 0 && this.#inFlight < this.#maxInFlight && !this.#stopping && !this.#isTerminal()) {
        this.#inFlight++;
        this.#frames.next(this.#pending.shift()!);
      }
    } finally {
      this.#draining = false;
    }
    this.#setPaused(this.#pending.length > 0);
    if (this.#inputEnded && this.#pending.length === 0 && !this.#isTerminal()) this.#end('end-of-input');
  }

  #setPaused(paused: boolean): void {
    const stdout = this.#run?.process.stdout;
    if (paused === this.#paused || !stdout) return;
    this.#paused = paused;
    if (paused) {
      stdout.pause();
      this.#clearStallTimer(); // a paused ffmpeg is waiting for us, not stalled
    } else {
      stdout.resume();
      this.#armStallTimer();
    }
  }

  #onRunFinished(run: Run, exit: DecodeExit): void {
    if (run !== this.#run || this.#stopping || this.#isTerminal()) return;
    this.#clearStallTimer();
    const context = { sourceId: this.id, url: this.input.url, stderrTail: run.process.stderrTail() };

    if (exit.startError) {
      const { startError } = exit;
      const missing =
        startError instanceof FfmpegUnavailableError ||
        (startError as NodeJS.ErrnoException).code === 'ENOENT' ||
        /Cannot find ffmpeg/i.test(startError.message);
      this.#fail(
        missing
          ? new FfmpegUnavailableError(
              startError instanceof FfmpegUnavailableError ? startError.detail : 'ffmpeg was not found (install ffmpeg)',
              { ...context, cause: startError },
            )
          : new SourceUnreadableError(`ffmpeg could not start: ${startError.message}`, { ...context, cause: startError }),
      );
      return;
    }

    const cleanExit = exit.code === 0 && run.killedFor === undefined;
    const reason = run.killedFor ?? describeExit(exit, context.stderrTail);

    if (this.mode === 'replay') {
      if (cleanExit) {
        this.#inputEnded = true;
        this.#drain();
      } else if (run.reader.framesRead === 0 && run.killedFor === undefined) {
        this.#fail(new SourceUnreadableError(`ffmpeg could not decode it (${reason})`, context));
      } else {
        this.#fail(new SourceFailedError(`replay cut short after ${run.reader.framesRead} frames: ${reason}`, context));
      }
      return;
    }

    const ranSteadily =
      run.firstFrameAt !== undefined &&
      (cleanExit || performance.now() - run.firstFrameAt >= this.#restart.stableAfterMs);
    if (ranSteadily) this.#attempt = 0;
    if (this.#attempt >= this.#restart.maxAttempts) {
      const tries = this.#restart.maxAttempts;
      this.#fail(new SourceFailedError(`gave up after ${tries} restart attempt${tries === 1 ? '' : 's'}; last run: ${reason}`, context));
      return;
    }
    this.#attempt++;
    this.#restarts++;
    const delayMs = restartDelayMs(this.#attempt, this.#restart);
    this.#run = undefined;
    // Timer before event: a listener may call stop() synchronously, and stop() clears it.
    this.#restartTimer = setTimeout(() => this.#startRun(), delayMs);
    this.#setState({
      state: 'reconnecting',
      sourceId: this.id,
      attempt: this.#attempt,
      delayMs,
      reason,
      stderrTail: context.stderrTail,
      at: Date.now(),
    });
  }

  /** (Re)starts the countdown to declaring the current run stalled; called on every frame. */
  #armStallTimer(): void {
    if (!this.#run || this.#paused) return;
    if (this.#stallTimer) this.#stallTimer.refresh(); // cheaper than a new timer per frame
    else this.#stallTimer = setTimeout(() => this.#onStall(), this.#stallTimeoutMs);
  }

  #onStall(): void {
    this.#stallTimer = undefined;
    const run = this.#run;
    if (!run || this.#paused) return;
    run.killedFor = `no frame for ${this.#stallTimeoutMs} ms (stalled)`;
    run.process.kill(); // -> #onRunFinished, which restarts (live) or fails (replay)
  }

  #clearStallTimer(): void {
    clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }

  #isTerminal(): boolean {
    return this.#state === 'ended' || this.#state === 'error';
  }

  #setState(event: SourceStateEvent): void {
    this.#state = event.state;
    this.#states.next(event);
  }

  #end(reason: 'end-of-input' | 'stopped'): void {
    this.#run = undefined;
    this.#setState({ state: 'ended', sourceId: this.id, reason, at: Date.now() });
    this.#states.complete();
    this.#frames.complete();
  }

  #fail(error: SourceError): void {
    clearTimeout(this.#restartTimer);
    this.#clearStallTimer();
    this.#run = undefined;
    this.#pending = [];
    this.#setState({ state: 'error', sourceId: this.id, error, at: Date.now() });
    this.#states.complete();
    this.#frames.error(error);
  }
}

/** Why a run ended, for people: a failed exit quotes ffmpeg's last stderr line ("Connection refused"). */
function describeExit({ code, signal }: DecodeExit, stderrTail: readonly string[]): string {
  if (signal) return `ffmpeg was killed by ${signal}`;
  if (code === 0) return 'ffmpeg exited (end of input)';
  const lastLine = stderrTail.at(-1)?.trim();
  return lastLine ? `ffmpeg exited with code ${code}: ${lastLine.slice(0, 200)}` : `ffmpeg exited with code ${code}`;
}

function validateOptions(options: FrameSourceOptions): void {
  const problems: string[] = [];
  const positiveInteger = (value: unknown) => Number.isInteger(value) && (value as number) > 0;
  const nonNegative = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (typeof options.id !== 'string' || options.id === '') problems.push('id must be a non-empty string');
  if (typeof options.url !== 'string') problems.push('url must be a string');
  if (!positiveInteger(options.width) || !positiveInteger(options.height)) {
    problems.push(`width and height must be positive integers (got ${options.width}x${options.height})`);
  }
  if (options.fit !== 'crop' && options.fit !== 'pad') problems.push(`fit must be 'crop' or 'pad' (got ${String(options.fit)})`);
  if (options.mode !== undefined && options.mode !== 'live' && options.mode !== 'replay') {
    problems.push(`mode must be 'live' or 'replay' (got ${String(options.mode)})`);
  }
  if (options.fps !== undefined && !(nonNegative(options.fps) && options.fps > 0)) problems.push('fps must be > 0');
  if (options.stallTimeoutMs !== undefined && !(nonNegative(options.stallTimeoutMs) && options.stallTimeoutMs > 0)) {
    problems.push('stallTimeoutMs must be > 0');
  }
  if (options.maxInFlight !== undefined && !positiveInteger(options.maxInFlight)) problems.push('maxInFlight must be a positive integer');
  for (const [key, value] of Object.entries(options.restart ?? {})) {
    const retryForever = key === 'maxAttempts' && (value === null || value === Infinity);
    if (value !== undefined && !nonNegative(value) && !retryForever) problems.push(`restart.${key} must be a number >= 0`);
  }
  if (problems.length > 0) {
    throw new InvalidSourceError(problems.join('; '), { sourceId: options.id, url: String(options.url) });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
