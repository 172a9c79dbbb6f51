import { asyncScheduler, from, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import type { Frame } from '../frame.js';

export interface FairMergeOptions {
  /** The consumer's demand: each emission asks for ONE batch (a pool of k workers may emit k times). */
  ready$: Observable<unknown>;
  /** Most frames in one batch. */
  maxBatch: number;
  /**
   * When the consumer asked and nothing was waiting: how long to wait after the first frame that
   * arrives for others to join it (a partial batch goes out then, a full one at once, and so does
   * one that already holds a frame of every open input). Frames that were already waiting when the
   * demand came have waited enough: they go out at once. Default 0.
   */
  maxWaitMs?: number;
  /**
   * Fill batches (replay): a demand does not take the frames already waiting at once; a partial
   * batch waits up to maxWaitMs (from the demand) for more, even when every input has a frame in
   * it. A replay has no latency to lose, and on a decode-bound file fuller batches leave the
   * decoder more CPU. Default false (live: what waits has waited enough).
   */
  fillBatches?: boolean;
  /** Scheduler of the wait timer (tests pass a TestScheduler; run mode patches the default). */
  scheduler?: SchedulerLike;
}

/**
 * Merges several frame streams into batches for a consumer that pulls (the inference worker),
 * fairly: each input has its own queue, and a batch takes one frame from each input in turn,
 * round-robin, continuing after the input served last. When more frames wait than fit in a
 * batch, a fast stream (a replay running flat out) cannot starve a slow one (a camera).
 *
 * Nothing is dropped here and queues are not bounded here: bound them upstream. Live streams go
 * through `latestFrame(ready$)` on the SAME ready$ (one frame each, at most, waits); replayed
 * files are bounded by the source's in-flight window (`FrameSource.release`).
 *
 * Inputs are subscribed before ready$, so latestFrame gates sharing a plain Subject ready$ hand
 * over their held frames before the demand reaches this merge: one ready$ emission = one batch
 * of every stream's newest frame. Completes when every input has completed and every queued
 * frame was emitted (remaining frames go out on the next demands); errors of any input or of
 * ready$ pass through at once; unsubscribing unsubscribes every input and ready$.
 *
 * @example
 *   const ready$ = new Subject<void>();
 *   const batches$ = fairMerge(
 *     sources.map((s) => s.mode === 'live'
 *       ? s.frames$.pipe(latestFrame(ready$, (f) => dropped.inc({ stream: f.streamId })))
 *       : s.frames$),
 *     { ready$, maxBatch: 8, maxWaitMs: 5 },
 *   );
 *   batches$.pipe(concatMap(async (batch) => {
 *     try { return await worker.infer(batch); }
 *     finally { for (const f of batch) byId.get(f.streamId)!.release(); ready$.next(); }
 *   })).subscribe(publish);
 *   ready$.next(); // the worker is free
 *
 * Marbles (maxBatch 2; the first unit test runs exactly this):
 *   a       -1234-----|
 *   b       --1-------|
 *   c       ---1------|
 *   ready$  -----r-r-r-r
 *   output  -----x-y-z|      x = [a1,b1], y = [c1,a2], z = [a3,a4]
 *   (merge + batchFrames would give [a1,a2] [a3,a4] [b1,c1]: the fast stream first.)
 */
export function fairMerge<T = Frame>(inputs: readonly Observable<T>[], options: FairMergeOptions): Observable<T[]> {
  return fairMergeAll(from(inputs), options);
}

/**
 * fairMerge over inputs that arrive over time: each emission of `inputs$` is one more input (a
 * stream added at run time), which joins the round-robin from then on. Completes when `inputs$`
 * has completed, every input has completed and every queued frame was emitted. An input that
 * completes leaves the rotation once its queue is empty, so adding and removing streams for days
 * keeps no state behind.
 */
export function fairMergeAll<T = Frame>(inputs$: Observable<Observable<T>>, options: FairMergeOptions): Observable<T[]> {
  const { ready$, maxBatch, maxWaitMs = 0, fillBatches = false, scheduler = asyncScheduler } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${maxWaitMs}`);

  return new Observable<T[]>((subscriber) => {
    /** One input's queue, in rotation order; `open` until the input completes. */
    interface Lane {
      queue: T[];
      open: boolean;
      subscription?: Subscription;
    }
    const lanes: Lane[] = [];
    let queued = 0;
    let intakeOpen = true;
    let demand = 0;
    let cursor = 0;
    let waitTimer: Subscription | undefined;

    /** A completed input whose queue is empty leaves the rotation (the cursor keeps its place). */
    const retire = () => {
      for (let i = lanes.length - 1; i >= 0; i--) {
        const lane = lanes[i]!;
        if (lane.open || lane.queue.length > 0) continue;
        lanes.splice(i, 1);
        if (i < cursor) cursor--;
      }
      if (cursor >= lanes.length) cursor = 0;
    };

    const takeBatch = (): T[] => {
      const batch: T[] = [];
      while (batch.length < maxBatch && queued > 0) {
        const lane = lanes[cursor]!;
        cursor = (cursor + 1) % lanes.length;
        if (lane.queue.length > 0) {
          batch.push(lane.queue.shift()!);
          queued--;
        }
      }
      retire();
      return batch;
    };

    /** Emits while there is both demand and something queued; `now` skips the wait. */
    const serve = (now: boolean) => {
      while (demand > 0 && queued > 0 && !subscriber.closed) {
        // Waiting only helps while some open input has nothing queued yet: once every stream is
        // represented (e.g. a single camera), a live stream cannot add more before the next demand.
        const someInputMissing = lanes.some((lane) => lane.open && lane.queue.length === 0);
        const moreMayCome = fillBatches ? lanes.some((lane) => lane.open) : someInputMissing;
        const shouldWait = !now && queued < maxBatch && moreMayCome && maxWaitMs > 0;
        if (shouldWait) {
          waitTimer ??= scheduler.schedule(() => {
            waitTimer = undefined;
            serve(true);
          }, maxWaitMs);
          return;
        }
        waitTimer?.unsubscribe();
        waitTimer = undefined;
        demand--;
        subscriber.next(takeBatch());
        now = true; // further demand finds frames that already waited
      }
      if (!intakeOpen && lanes.length === 0 && queued === 0) subscriber.complete();
    };

    const intake = inputs$.subscribe({
      next: (input) => {
        const lane: Lane = { queue: [], open: true };
        lanes.push(lane);
        lane.subscription = input.subscribe({
          next: (frame) => {
            lane.queue.push(frame);
            queued++;
            serve(queued >= maxBatch);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            lane.open = false;
            retire();
            serve(true);
          },
        });
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        intakeOpen = false;
        serve(true);
      },
    });

    const readySubscription = ready$.subscribe({
      next: () => {
        demand++;
        serve(!fillBatches);
      },
      error: (error: unknown) => subscriber.error(error),
    });

    return () => {
      intake.unsubscribe();
      for (const lane of lanes) lane.subscription?.unsubscribe();
      readySubscription.unsubscribe();
      waitTimer?.unsubscribe();
    };
  });
}
