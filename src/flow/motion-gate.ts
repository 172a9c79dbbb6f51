/**
 * Motion gating for one stream (Frigate runs its detector only where something moved): a frame
 * whose grey thumbnail is within `threshold` of the last inferred frame's carries that frame's
 * result instead of being inferred again, so a camera watching a quiet scene costs almost nothing.
 * The comparison is with the last INFERRED frame, not the previous one, so slow drift adds up
 * until it counts; a discontinuity, a scene start and `maxAgeMs` force a fresh inference.
 *
 * Order is kept: a still frame that comes while an earlier frame of the stream is still being
 * inferred waits for that result (and carries it), so sinks see every stream's frames in order.
 */
import { greyThumbnail, thumbnailDifference } from '../image/index.js';
import type { FrameInference } from '../model/index.js';
import type { Frame } from '../stream/index.js';

export interface MotionGateOptions {
  /** Mean grey-thumbnail change ([0, 1]) below which a frame reuses the last result. */
  threshold: number;
  /** A result is reused for at most this long (capture time) before a frame is inferred anyway. */
  maxAgeMs: number;
}

export class MotionGate {
  readonly #options: MotionGateOptions;
  readonly #emit: (frame: Frame, inference: FrameInference) => void;
  /** The last inferred frame's thumbnail and result. */
  #last: { thumbnail: Float32Array; inference: FrameInference; capturedAt: number } | null = null;
  /** Frames handed to inference whose result has not come back (by seq), with their thumbnails. */
  readonly #pending = new Map<number, Float32Array>();
  /** Still frames waiting for the pending results, oldest first. */
  readonly #waiting: Frame[] = [];

  /** `emit` receives each frame that is not inferred, with the result it carries. */
  constructor(options: MotionGateOptions, emit: (frame: Frame, inference: FrameInference) => void) {
    if (!(options.threshold >= 0 && options.threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${options.threshold}`);
    if (!(options.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be > 0, got ${options.maxAgeMs}`);
    this.#options = options;
    this.#emit = emit;
  }

  /** True: infer this frame. False: it carries the last result (now, or once the pending ones are back). */
  offer(frame: Frame): boolean {
    const thumbnail = greyThumbnail(frame);
    const last = this.#last;
    const still =
      last !== null &&
      !frame.discontinuity &&
      !frame.meta?.sceneStart &&
      frame.capturedAt - last.capturedAt <= this.#options.maxAgeMs &&
      thumbnailDifference(thumbnail, last.thumbnail) <= this.#options.threshold;
    if (!still) {
      this.#pending.set(frame.seq, thumbnail);
      return true;
    }
    this.#waiting.push(frame);
    this.#flush();
    return false;
  }

  /** A frame's result came back: similar frames carry it from now on. */
  inferred(frame: Frame, inference: FrameInference): void {
    const thumbnail = this.#pending.get(frame.seq);
    if (thumbnail !== undefined) this.#last = { thumbnail, inference, capturedAt: frame.capturedAt };
    this.settled(frame);
  }

  /**
   * The last result no longer holds for a still scene (the stream's corruption gate switched the
   * editor on or off): the next frame is inferred, and frames waiting carry its result.
   */
  invalidate(): void {
    this.#last = null;
  }

  /** A frame handed to inference will not come back (dropped as stale, or its batch failed). */
  settled(frame: Frame): void {
    this.#pending.delete(frame.seq);
    this.#flush();
  }

  #flush(): void {
    if (this.#pending.size > 0 || this.#last === null) return;
    const { inference, capturedAt } = this.#last;
    for (const frame of this.#waiting.splice(0)) {
      this.#emit(frame, { ...inference, reused: true, resultAgeMs: Math.max(0, frame.capturedAt - capturedAt) });
    }
  }
}
