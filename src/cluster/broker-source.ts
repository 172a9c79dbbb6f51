/**
 * The worker's side of the flow's source interface: one FlowSource per stream id, fed with frames
 * pulled from the broker (frame-feed.ts), created when a stream's first frame arrives and removed
 * after it has been quiet for a while, so a FrameFlow with `endWhenAllEnded: false` batches fairly
 * across whatever streams the ingests publish, without knowing the broker exists.
 *
 * Toward the flow every such source is in 'replay' mode, also for live cameras: the broker already
 * kept only the newest frame of each (the distributed latestFrame), and the worker pulls only as
 * many as it can run next, so what it pulled it must not drop. The flow's release() after each
 * processed frame is what lets the feed pull more: the flow's demand reaches the broker.
 */
import { ReplaySubject, Subject, type Observable } from 'rxjs';
import type { FlowSource, FrameFlow } from '../flow/frame-flow.js';
import type { Frame, SourceStateEvent } from '../stream/index.js';

export class BrokerStreamSource implements FlowSource {
  readonly id: string;
  readonly mode = 'replay' as const;
  readonly frames$: Observable<Frame>;
  readonly states$: Observable<SourceStateEvent>;
  readonly #frames = new Subject<Frame>();
  readonly #states = new ReplaySubject<SourceStateEvent>(1);
  /** One callback per frame handed to the flow and not yet released, oldest first. */
  readonly #releases: Array<() => void> = [];
  #lastFrameAt = performance.now();
  #running = false;
  #stopped = false;

  constructor(id: string) {
    this.id = id;
    this.frames$ = this.#frames.asObservable();
    this.states$ = this.#states.asObservable();
  }

  start(): void {
    this.#states.next({ state: 'starting', sourceId: this.id, attempt: 0, at: Date.now() });
  }

  /** A frame from the broker; `onRelease` runs once the flow is done with it. */
  push(frame: Frame, onRelease: () => void): void {
    if (this.#stopped) return onRelease();
    this.#lastFrameAt = performance.now();
    if (!this.#running) {
      this.#running = true;
      this.#states.next({ state: 'running', sourceId: this.id, attempt: 0, pid: undefined, at: Date.now() });
    }
    this.#releases.push(onRelease);
    this.#frames.next(frame);
  }

  /** The flow releases a stream's frames in the order it got them (one engine, batches in order). */
  release(count = 1): void {
    for (let i = 0; i < count; i++) this.#releases.shift()?.();
  }

  get inFlight(): number {
    return this.#releases.length;
  }

  /** Milliseconds since the last frame arrived. */
  idleMs(now = performance.now()): number {
    return now - this.#lastFrameAt;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Frames the flow will not process now are released, so the feed's window does not shrink.
    this.release(this.#releases.length);
    this.#states.next({ state: 'ended', sourceId: this.id, reason: 'stopped', at: Date.now() });
    this.#states.complete();
    this.#frames.complete();
  }
}

/** How long a stream may send nothing before its source leaves the worker's flow. */
const IDLE_REMOVE_MS = 30_000;

/** The worker's per-stream sources: routes each pulled frame to its stream's source, adding it to the flow on first sight. */
export class BrokerStreams {
  readonly #flow: FrameFlow;
  readonly #sources = new Map<string, BrokerStreamSource>();
  readonly #sweep: NodeJS.Timeout;

  constructor(flow: FrameFlow, idleRemoveMs = IDLE_REMOVE_MS) {
    this.#flow = flow;
    this.#sweep = setInterval(() => this.#removeIdle(idleRemoveMs), Math.min(idleRemoveMs, 10_000)).unref();
  }

  deliver(frame: Frame, onRelease: () => void): void {
    let source = this.#sources.get(frame.streamId);
    if (source === undefined) {
      source = new BrokerStreamSource(frame.streamId);
      try {
        this.#flow.add({ source });
      } catch {
        return onRelease(); // the flow has stopped: the worker is shutting down
      }
      this.#sources.set(frame.streamId, source);
    }
    source.push(frame, onRelease);
  }

  get streamIds(): string[] {
    return [...this.#sources.keys()];
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await Promise.all([...this.#sources.values()].map((source) => source.stop()));
    this.#sources.clear();
  }

  #removeIdle(idleRemoveMs: number): void {
    const now = performance.now();
    for (const [id, source] of this.#sources) {
      if (source.inFlight > 0 || source.idleMs(now) < idleRemoveMs) continue;
      this.#sources.delete(id);
      void source.stop();
    }
  }
}
