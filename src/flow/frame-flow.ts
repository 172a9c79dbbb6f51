/**
 * The frame flow, the product's spine: sources -> (live: newest frame only) -> fair batching across
 * streams -> the inference worker -> every sink (the dashboard server, a JSONL file, ...).
 *
 * Demand-driven: the batcher hands over a batch only when the worker asks (`ready$`), so a slow
 * model makes live streams drop stale frames (counted) instead of queueing them, and replayed files
 * wait (their ffmpeg is paused by the source's in-flight window) instead of losing frames.
 */
import { Subject, catchError, EMPTY, map, mergeMap, type Observable, type Subscription } from 'rxjs';
import type { EngineError, InferenceEngine } from '../model/index.js';
import { fairMerge, latestFrame, type Frame, type FrameSource, type SourceError, type SourceStateEvent } from '../stream/index.js';
import type { Logger } from '../log/logger.js';
import { fanOut, type FannedOutSink, type FrameSink } from '../sinks/index.js';

export interface FlowStream {
  source: FrameSource;
  /** Applied to each frame that will be processed (after live dropping): corruption, ground truth. */
  transform?: (frame: Frame) => Frame;
}

export interface FrameFlowOptions {
  streams: FlowStream[];
  engine: InferenceEngine;
  maxBatch: number;
  maxWaitMs: number;
  /**
   * Batches handed to the worker before the previous one returned. 2 keeps the worker busy while a
   * result travels back (replay throughput); 1 keeps live latency lowest. Default: 2 when any
   * stream is replayed, else 1.
   */
  inFlight?: number;
  /** Every output; each is isolated from the others (fanOut). The flow does not close them. */
  sinks: readonly FrameSink[];
  log: Logger;
}

export class FrameFlow {
  readonly #options: FrameFlowOptions;
  readonly #sink: FannedOutSink;
  readonly #ready$ = new Subject<void>();
  readonly #subscriptions: Subscription[] = [];
  readonly #sourceErrors: SourceError[] = [];
  /** Replayed sources by id: their frames are released once processed, so ffmpeg may go on. */
  readonly #replayed = new Map<string, FrameSource>();
  #processed = 0;
  #stopped = false;

  /**
   * Resolves when every source has ended and every frame was processed, or once stop() has
   * finished (in-flight batches are then dropped); rejects if the worker dies.
   */
  readonly done: Promise<void>;
  #resolveDone: () => void = () => {};

  private constructor(options: FrameFlowOptions) {
    this.#options = options;
    this.#sink = fanOut(options.sinks, options.log);
    const { streams } = options;
    for (const { source } of streams) if (source.mode === 'replay') this.#replayed.set(source.id, source);
    for (const { source } of streams) {
      this.#subscriptions.push(source.states$.subscribe((event) => this.#onState(event)));
    }
    const inputs = streams.map((stream) => this.#input(stream));
    const inFlight = options.inFlight ?? (streams.some((s) => s.source.mode === 'replay') ? 2 : 1);
    const batches$ = fairMerge(inputs, { ready$: this.#ready$, maxBatch: options.maxBatch, maxWaitMs: options.maxWaitMs });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#subscriptions.push(batches$.pipe(mergeMap((batch) => this.#infer(batch), inFlight)).subscribe({ complete: resolve, error: reject }));
    });
    for (const { source } of streams) source.start();
    for (let i = 0; i < inFlight; i++) this.#ready$.next();
  }

  /** Starts every source; runs until they all end (replay) or `stop()` is called. */
  static start(options: FrameFlowOptions): FrameFlow {
    return new FrameFlow(options);
  }

  get processed(): number {
    return this.#processed;
  }

  /** Errors of sources that gave up (the other streams carried on). */
  get sourceErrors(): readonly SourceError[] {
    return this.#sourceErrors;
  }

  /** Stops every source (ffmpeg ended, no orphans) and unsubscribes; in-flight batches are dropped. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.all(this.#options.streams.map(({ source }) => source.stop()));
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    // Unsubscribed before the batches completed, `done` would otherwise never settle, and the
    // caller's clean-up after `await done` (flushing the output, closing the engine) never run.
    this.#resolveDone();
  }

  #input({ source, transform }: FlowStream): Observable<Frame> {
    const sink = this.#sink;
    let frames$ = source.frames$.pipe(
      // A source that gave up is reported through its state; the other streams carry on.
      catchError(() => EMPTY),
    );
    if (source.mode === 'live') {
      frames$ = frames$.pipe(latestFrame(this.#ready$, (dropped) => sink.dropped(dropped.streamId, 1)));
    }
    return transform ? frames$.pipe(map(transform)) : frames$;
  }

  async #infer(batch: Frame[]): Promise<void> {
    const { engine, log } = this.#options;
    const sink = this.#sink;
    try {
      const results = await engine.infer(batch);
      if (this.#stopped) return;
      sink.batch(batch.length, results[0].timings);
      batch.forEach((frame, i) => sink.frame(frame, results[i]));
      this.#processed += batch.length;
    } catch (error) {
      if ((error as EngineError).code === 'ENGINE_WORKER_CRASHED' || (error as EngineError).code === 'ENGINE_CLOSED') throw error;
      log.error('inference failed for a batch; its frames are skipped', { error: (error as Error).message, size: batch.length });
    } finally {
      for (const frame of batch) {
        this.#replayed.get(frame.streamId)?.release(1);
      }
      if (!this.#stopped) this.#ready$.next();
    }
  }

  #onState(event: SourceStateEvent): void {
    const { log } = this.#options;
    if (event.state === 'error') {
      this.#sourceErrors.push(event.error);
      log.error(`source ${event.sourceId} failed`, { error: event.error.message });
    } else if (event.state === 'reconnecting') {
      log.warn(`source ${event.sourceId} reconnecting`, { attempt: event.attempt, delayMs: event.delayMs, reason: event.reason });
    } else {
      log.debug(`source ${event.sourceId} ${event.state}`);
    }
    this.#sink.state(event);
  }
}

