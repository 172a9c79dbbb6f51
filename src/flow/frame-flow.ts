/**
 * The frame flow, the product's spine: sources -> (live: newest frame only) -> fair batching across
 * streams -> the inference worker -> every sink (the dashboard server, a JSONL file, ...).
 *
 * Demand-driven: the batcher hands over a batch only when the worker asks (`ready$`), so a slow
 * model makes live streams drop stale frames (counted) instead of queueing them, and replayed files
 * wait (their ffmpeg is paused by the source's in-flight window) instead of losing frames.
 */
import { Subject, Subscription, catchError, concatMap, EMPTY, filter, finalize, from, mergeMap, of, startWith, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { EngineError, FrameInference, GateResult, InferenceEngine } from '../model/index.js';
import { fairMergeAll, latestFrame, type Frame, type SourceError, type SourceMode, type SourceStateEvent } from '../stream/index.js';
import type { Logger } from '../log/logger.js';
import type { StreamStateEvent } from '../server/stream-state.js';
import { fanOut, type FannedOutSink, type FrameSink } from '../sinks/index.js';
import { smoothGate, type StreamGateOptions } from './gating/index.js';
import { MotionGate, type MotionGateOptions } from './motion-gate.js';
import { smoothLabels, type ProcessedFrame, type SmoothLabelsOptions } from './smoothing/index.js';
import { StreamStateMap } from './stream-state-map.js';

/**
 * What the flow needs of a source: FrameSource (ffmpeg) is one; a broker-fed source is another.
 * `frames$` completes when the source ends or is stopped; `states$` reports its lifecycle.
 */
export interface FlowSource {
  readonly id: string;
  /** live: only the newest frame waits (the rest are dropped, counted); replay: nothing is lost. */
  readonly mode: SourceMode;
  readonly frames$: Observable<Frame>;
  readonly states$: Observable<SourceStateEvent>;
  start(): void;
  /** `count` frames of a replayed source were processed: its in-flight window may move on. */
  release(count?: number): void;
  stop(): Promise<void>;
}

/** A per-frame step before inference; it may be asynchronous (the JPEG corruption waits for libjpeg). */
export type FrameTransform = (frame: Frame) => Frame | Promise<Frame>;

export interface FlowStream {
  source: FlowSource;
  /** Applied to each frame that will be processed (after live dropping): corruption, ground truth. Frames keep their order. */
  transform?: FrameTransform;
}

/** Applies a transform in order; a synchronous result passes on at once, with no tick before batching. */
export function transformInOrder(transform: FrameTransform): OperatorFunction<Frame, Frame> {
  return concatMap((frame) => {
    const out = transform(frame);
    return out instanceof Promise ? from(out) : of(out);
  });
}

export interface FrameFlowOptions {
  /** The streams to start with; more may be added (add) and removed (remove) while it runs. */
  streams: readonly FlowStream[];
  /**
   * true (default): the flow ends once every stream has ended (a replay, or every camera gave up).
   * false: it runs until stop(), also with no stream at all (streams come and go at run time).
   */
  endWhenAllEnded?: boolean;
  engine: InferenceEngine;
  maxBatch: number;
  maxWaitMs: number;
  /** Replay: a partial batch waits up to maxWaitMs for more frames even when frames are waiting (see fairMerge). */
  fillBatches?: boolean;
  /**
   * Batches handed to the worker before the previous one returned. 2 keeps the worker busy while a
   * result travels back (replay throughput); 1 keeps live latency lowest. Default: 2 when any
   * stream is replayed at start, else 1.
   */
  inFlight?: number;
  /**
   * Motion gating per stream: frames that barely differ from the last inferred one carry its result
   * instead of being inferred (marked `reused`); default off (every frame inferred).
   */
  motionGate?: MotionGateOptions;
  /**
   * The corruption gate per stream (engines whose bundle has a gate): each stream's smoothed score
   * decides whether its next frames are edited (Frame.edit). Unset: the engine decides per frame.
   */
  gate?: StreamGateOptions;
  /** Temporal label smoothing per stream (the stage between the engine and the sinks); default off. */
  smoothing?: Omit<SmoothLabelsOptions, 'labels'>;
  /** Every output; each is isolated from the others (fanOut). The flow does not close them. */
  sinks: readonly FrameSink[];
  log: Logger;
}

export class FrameFlow {
  readonly #options: FrameFlowOptions;
  readonly #sink: FannedOutSink;
  /**
   * The worker's demand, told first to every live stream's newest-frame gate (#gates$) and then to
   * the batcher (#ready$): the gates hand over their frames before the batcher packs them, whatever
   * order they subscribed in.
   */
  readonly #gates$ = new Subject<void>();
  readonly #ready$ = new Subject<void>();
  /** Each gated stream's motion gate, by stream id. */
  readonly #motionGates = new Map<string, MotionGate>();
  /**
   * Per stream, the corruption gate's decision for its next frames (edit: true runs the editor,
   * false skips it), the smoothed level it came from and the stream time (ptsMs) of the last frame
   * marked to be scored since; absent: each frame decides by its own score. A stream added again
   * starts with a discontinuity, which drops it; one gone for minutes leaves (StreamStateMap).
   */
  readonly #editing = new StreamStateMap<{ edit: boolean; level: number; scoredAtMs?: number }>();
  /** Every processed frame, in order, on its way through the stages to the sinks. */
  readonly #processed$ = new Subject<ProcessedFrame>();
  /** Per stream, the emission still waiting for an asynchronous transform: later ones queue behind it. */
  readonly #emitting = new Map<string, Promise<void>>();
  /** Batches asked for and not yet handed over (>0: the worker is idle, waiting for frames). */
  #unmetDemand = 0;
  /** Finished subscriptions leave it by themselves (streams come and go for days). */
  readonly #subscriptions = new Subscription();
  readonly #sourceErrors: SourceError[] = [];
  /** Every running stream's source by id (replayed ones are released once their frames are processed). */
  readonly #sources = new Map<string, FlowSource>();
  /** Streams join the batcher through here; it completes once no more may join. */
  readonly #intake = new Subject<Observable<Frame>>();
  readonly #endWhenAllEnded: boolean;
  #intakeDone = false;
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
    this.#endWhenAllEnded = options.endWhenAllEnded ?? true;
    const { streams } = options;
    const inFlight = options.inFlight ?? (streams.some((s) => s.source.mode === 'replay') ? 2 : 1);
    const smoothing = options.smoothing ?? { mode: 'off', halfLifeMs: 1000, window: 1, margin: 0, sceneCut: 0 };
    let processed$: Observable<ProcessedFrame> = this.#processed$;
    if (options.gate) processed$ = processed$.pipe(smoothGate(options.gate), tap(({ frame, inference }) => this.#noteGate(frame.streamId, inference.gate)));
    this.#subscriptions.add(
      processed$
        .pipe(smoothLabels({ ...smoothing, labels: options.engine.info.labels }))
        .subscribe(({ frame, inference }) => this.#sink.frame(frame, inference)),
    );
    const batches$ = fairMergeAll(this.#intake, { ready$: this.#ready$, maxBatch: options.maxBatch, maxWaitMs: options.maxWaitMs, fillBatches: options.fillBatches });
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#subscriptions.add(batches$.pipe(mergeMap((batch) => {
        this.#unmetDemand--;
        return this.#infer(batch);
      }, inFlight)).subscribe({
        // Ended once the frames still waiting for an asynchronous transform have reached the stages too.
        complete: () => void Promise.all(this.#emitting.values()).then(() => resolve()),
        error: reject,
      }));
    });
    for (const stream of streams) this.add(stream);
    this.#closeIntakeIfAllEnded();
    for (let i = 0; i < inFlight; i++) this.#requestBatch();
  }

  /** Starts every source; runs until they all end (replay) or `stop()` is called. */
  static start(options: FrameFlowOptions): FrameFlow {
    return new FrameFlow(options);
  }

  /**
   * Starts a stream and adds it to the batching, fairly beside the others.
   * @throws when the flow has stopped (or ended) or a stream with this id is running.
   */
  add(stream: FlowStream): void {
    const { source } = stream;
    if (this.#stopped || this.#intakeDone) throw new Error(`the frame flow has ended: stream "${source.id}" cannot be added`);
    if (this.#sources.has(source.id)) throw new Error(`stream "${source.id}" is already running`);
    this.#sources.set(source.id, source);
    this.#subscriptions.add(source.states$.subscribe((event) => this.#onState(event)));
    this.#intake.next(
      this.#input(stream).pipe(
        finalize(() => {
          this.#sources.delete(source.id);
          this.#motionGates.delete(source.id);
          this.#closeIntakeIfAllEnded();
        }),
      ),
    );
    source.start();
  }

  /** Stops a stream's source (its queued frames are still processed); resolves once it has stopped. */
  async remove(streamId: string): Promise<void> {
    await this.#sources.get(streamId)?.stop();
  }

  /**
   * Tells every sink the state of a stream that has no source in the flow: one that failed to open
   * (configured, or added at run time) or that was removed without ever running.
   */
  reportState(event: StreamStateEvent): void {
    this.#sink.state(event);
  }

  /** Ids of the streams running now. */
  get streamIds(): string[] {
    return [...this.#sources.keys()];
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
    await Promise.all([...this.#sources.values()].map((source) => source.stop()));
    this.#subscriptions.unsubscribe();
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
    const gate = this.#options.motionGate ? this.#motionGate(source, transform) : undefined;
    // Gated on the raw frame, before newest-only dropping: a still scene never asks the worker.
    if (gate) frames$ = frames$.pipe(filter((frame) => gate.offer(frame)));
    if (source.mode === 'live') {
      // A stream that joins while the worker waits must not wait for a demand that already came.
      const demand$ = this.#unmetDemand > 0 ? this.#gates$.pipe(startWith(undefined)) : this.#gates$;
      frames$ = frames$.pipe(
        latestFrame(demand$, (dropped) => {
          gate?.settled(dropped);
          sink.dropped(dropped.streamId, 1);
        }),
      );
    }
    return transform ? frames$.pipe(transformInOrder(transform)) : frames$;
  }

  /**
   * Marks the frames of a batch with their streams' gate decisions, as they are handed to the
   * engine: the freshest point (a replay reads frames well ahead of the batch that takes them).
   * A discontinuity forgets the decision: that frame, and its stream's frames until its result is
   * back, decide by their own scores. A decided stream whose level is clear of the hysteresis band
   * is scored once every scoreEveryMs; its frames in between bring its level instead (gateLevel)
   * and skip the gate model. Inside the band, where the next scores may switch the editor, every
   * frame is scored: a level near the threshold averaged from fewer scores would switch late.
   */
  #markEdits(batch: readonly Frame[]): Frame[] {
    const { scoreEveryMs, threshold, hysteresis } = this.#options.gate!;
    const clear = (level: number) => level < threshold - hysteresis || level >= threshold;
    return batch.map((frame) => {
      const id = frame.streamId;
      if (frame.discontinuity) this.#editing.delete(id);
      const decision = this.#editing.get(id);
      if (decision === undefined) return frame;
      const sinceScored = frame.ptsMs - (decision.scoredAtMs ?? -Infinity);
      if (clear(decision.level) && sinceScored >= 0 && sinceScored < scoreEveryMs) return { ...frame, edit: decision.edit, gateLevel: decision.level };
      decision.scoredAtMs = frame.ptsMs;
      return { ...frame, edit: decision.edit };
    });
  }

  /** A processed frame's gate stage said what the stream's next frames get. */
  #noteGate(streamId: string, gate: GateResult | null | undefined): void {
    const previous = this.#editing.get(streamId);
    const before = previous?.edit;
    const streamActive = gate?.streamActive;
    // Also for a stream whose source has ended: a replay is read well ahead of its results.
    if (streamActive === undefined || streamActive === null || gate!.level === undefined) this.#editing.delete(streamId);
    else this.#editing.set(streamId, { edit: streamActive, level: gate!.level, scoredAtMs: previous?.scoredAtMs });
    // A still scene would otherwise carry a result of the other mode until the motion gate's maxAgeMs.
    if (before !== undefined && streamActive !== undefined && streamActive !== null && streamActive !== before) {
      this.#motionGates.get(streamId)?.invalidate();
    }
  }

  async #infer(batch: Frame[]): Promise<void> {
    const { engine, log } = this.#options;
    const sink = this.#sink;
    try {
      const results = await engine.infer(this.#options.gate ? this.#markEdits(batch) : batch);
      if (this.#stopped) return;
      sink.batch(batch.length, results[0].timings);
      batch.forEach((frame, i) => {
        this.#emit(frame.streamId, frame, results[i]!);
        // After its own result: still frames that waited for it follow it, in order.
        this.#motionGates.get(frame.streamId)?.inferred(frame, results[i]!);
      });
      this.#processed += batch.length;
    } catch (error) {
      if ((error as EngineError).code === 'ENGINE_WORKER_CRASHED' || (error as EngineError).code === 'ENGINE_CLOSED') throw error;
      log.error('inference failed for a batch; its frames are skipped', { error: (error as Error).message, size: batch.length });
    } finally {
      for (const frame of batch) {
        // A failed batch (or a stop) leaves no result: waiting still frames must not wait for it.
        this.#motionGates.get(frame.streamId)?.settled(frame);
        const source = this.#sources.get(frame.streamId);
        if (source?.mode === 'replay') source.release(1);
      }
      if (!this.#stopped) this.#requestBatch();
    }
  }

  /** A stream's motion gate: its still frames go straight to the stages and sinks with the last result. */
  #motionGate(source: FlowSource, transform: FlowStream['transform']): MotionGate {
    const gate = new MotionGate(this.#options.motionGate!, (frame, inference) => {
      this.#emit(frame.streamId, transform ? transform(frame) : frame, inference);
      if (source.mode === 'replay') source.release(1);
    });
    this.#motionGates.set(source.id, gate);
    return gate;
  }

  /**
   * Hands a processed frame to the stages and sinks, in order per stream: behind an emission of the
   * same stream that still waits for an asynchronous transform (a still frame's corruption).
   */
  #emit(streamId: string, frame: Frame | Promise<Frame>, inference: FrameInference): void {
    const before = this.#emitting.get(streamId);
    if (!before && !(frame instanceof Promise)) {
      this.#processed$.next({ frame, inference });
      return;
    }
    const emitted: Promise<void> = (before ?? Promise.resolve())
      .then(() => frame)
      .then(
        (ready) => this.#processed$.next({ frame: ready, inference }),
        (error: unknown) => this.#options.log.error('a frame could not be transformed; it is skipped', { streamId, error: (error as Error).message }),
      )
      .finally(() => {
        if (this.#emitting.get(streamId) === emitted) this.#emitting.delete(streamId);
      });
    this.#emitting.set(streamId, emitted);
  }

  #requestBatch(): void {
    this.#unmetDemand++;
    this.#gates$.next();
    this.#ready$.next();
  }

  /** With endWhenAllEnded, the last stream's end closes the intake: the batcher drains and completes. */
  #closeIntakeIfAllEnded(): void {
    if (!this.#endWhenAllEnded || this.#intakeDone || this.#sources.size > 0) return;
    this.#intakeDone = true;
    this.#intake.complete();
  }

  #onState(event: SourceStateEvent): void {
    const { log } = this.#options;
    if (event.state === 'error') {
      // A region's stream fails with its source (the same error): counted once, however many streams it fed.
      if (!this.#sourceErrors.includes(event.error)) this.#sourceErrors.push(event.error);
      log.error(`source ${event.sourceId} failed`, { error: event.error.message });
    } else if (event.state === 'reconnecting') {
      log.warn(`source ${event.sourceId} reconnecting`, { attempt: event.attempt, delayMs: event.delayMs, reason: event.reason });
    } else {
      log.debug(`source ${event.sourceId} ${event.state}`);
    }
    this.#sink.state(event);
  }
}

