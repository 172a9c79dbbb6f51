import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { Frame } from '../frame.js';

export interface BatchFramesOptions {
  /** A batch is emitted as soon as it holds this many frames. */
  maxBatch: number;
  /** ...or this long after its FIRST frame arrived, whichever comes first. Infinity: size only. */
  maxWaitMs: number;
  /** Scheduler of the wait timer (tests pass a TestScheduler; run mode patches the default). */
  scheduler?: SchedulerLike;
}

/**
 * Groups frames into batches the way dynamic batchers do (Triton, DeepStream's muxer): a batch is
 * emitted when it is full, or `maxWaitMs` after its first frame. Unlike RxJS `bufferTime`, the
 * timer starts with the first frame of each batch (not on a fixed clock) and an empty batch is
 * never emitted, so an idle stream costs nothing. On completion the partial batch is flushed; on
 * error it is discarded and the error passes through. Unsubscribing unsubscribes the source and
 * cancels the timer.
 *
 * This batcher is push-driven: it suits streams that are already paced (replayed files under the
 * source's release window). For a consumer that pulls batches when it is free, use fairMerge.
 *
 * @example
 *   merge(fileA.frames$, fileB.frames$).pipe(
 *     batchFrames({ maxBatch: 8, maxWaitMs: 20 }),
 *     concatMap(async (batch) => {
 *       const results = await worker.infer(batch);
 *       for (const frame of batch) sourceById.get(frame.streamId)!.release(); // ffmpeg may go on
 *       return results;
 *     }),
 *   );
 *
 * Marbles (maxBatch 3, maxWaitMs 5; the first unit test runs exactly this):
 *   source  -ab-c--d------e-|
 *   output  ----x-------y---(z|)
 *   x = [a,b,c] (full), y = [d] (5 frames after d), z = [e] (flushed on completion).
 */
export function batchFrames<T = Frame>(options: BatchFramesOptions): OperatorFunction<T, T[]> {
  const { maxBatch, maxWaitMs, scheduler = asyncScheduler } = options;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!(maxWaitMs >= 0)) throw new RangeError(`maxWaitMs must be >= 0, got ${maxWaitMs}`);

  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: Subscription | undefined;

      const flush = () => {
        timer?.unsubscribe();
        timer = undefined;
        if (batch.length === 0) return;
        const full = batch;
        batch = []; // before next(): the consumer may synchronously cause more frames
        subscriber.next(full);
      };

      const subscription = source.subscribe({
        next: (frame) => {
          batch.push(frame);
          if (batch.length >= maxBatch) flush();
          else if (batch.length === 1 && Number.isFinite(maxWaitMs)) timer = scheduler.schedule(flush, maxWaitMs);
        },
        error: (error: unknown) => {
          timer?.unsubscribe();
          batch = [];
          subscriber.error(error);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
        batch = [];
      };
    });
}
