import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import type { Frame } from '../frame.js';

/**
 * For live streams: hold only the newest frame until the consumer asks for one.
 *
 * `ready$` is the consumer's demand. When it emits and a frame is held, that frame is emitted at
 * once. When nothing is held, the demand is remembered and the next frame passes straight through.
 * Demand does not pile up: several `ready$` emissions with nothing held still let exactly one
 * frame through. A held frame that is replaced by a newer one before anyone asked for it is
 * dropped and handed to `onDrop` (count it). At most one frame ever waits here, so when the
 * consumer is slower than the camera, latency stays flat and the drop count grows instead.
 *
 * When the source completes, a held frame is still delivered on the next `ready$`, then the
 * output completes. Errors of the source or of `ready$` pass through at once. Unsubscribing
 * unsubscribes from both.
 *
 * One stream, one consumer:
 * @example
 *   const ready$ = new BehaviorSubject<void>(undefined);     // the consumer is free at start
 *   source.frames$.pipe(
 *     latestFrame(ready$, (f) => framesDropped.inc({ stream: f.streamId })),
 *     concatMap((frame) => worker.infer([frame])),
 *   ).subscribe(() => ready$.next());                          // done: ask for the next frame
 *
 * Several streams, one batching consumer: give every live stream its own latestFrame on the SAME
 * ready$ and hand them to fairMerge with that ready$ (see fair-merge.ts). Each ready$ emission
 * then makes every stream hand over its newest frame, and fairMerge packs them into one batch.
 *
 * Marbles (r = a ready$ emission; the first unit test runs exactly this):
 *   ready$  r-----r--r-------r
 *   source  -a-bc---d---ef|
 *   output  -a----c--d-------(f|)
 *   a meets a remembered demand; b is dropped for c, e for f; f, held when the source completed,
 *   still goes out on the next demand.
 */
export function latestFrame<T = Frame>(
  ready$: Observable<unknown>,
  onDrop?: (dropped: T) => void,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let held: { frame: T } | undefined;
      let wanted = false;
      let sourceDone = false;

      // ready$ first: a BehaviorSubject's initial demand is seen before a synchronous source emits.
      const readySubscription = ready$.subscribe({
        next: () => {
          if (!held) {
            wanted = true;
            return;
          }
          const { frame } = held;
          held = undefined;
          subscriber.next(frame);
          if (sourceDone) subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
      });

      const sourceSubscription = source.subscribe({
        next: (frame) => {
          if (wanted) {
            wanted = false;
            subscriber.next(frame);
            return;
          }
          if (held) onDrop?.(held.frame);
          held = { frame };
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          if (held) sourceDone = true;
          else subscriber.complete();
        },
      });

      return () => {
        readySubscription.unsubscribe();
        sourceSubscription.unsubscribe();
        held = undefined;
      };
    });
}
