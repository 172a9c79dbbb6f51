/**
 * A batch's frames resized once per model size and resampling (batch-inference.ts): the
 * classifier, the gate and the VAE each normalise the same float64 planes, which are bit for bit
 * what resizing for each model gave (preprocess.ts).
 */
import { normalisePlanar, resizeToPlanar, type ChannelAffine, type ResizeMethod, type Size } from './preprocess.js';

/** A packed rgb24 frame of any size. */
export interface ResizableFrame extends Size {
  data: Uint8Array;
}

/** A batch's frames, each resized once per model size and resampling, for every model that takes that size. */
export class ResizedFrames {
  readonly #frames: readonly ResizableFrame[];
  readonly #pool: PlanePool;
  readonly #planes = new Map<string, Float64Array<ArrayBuffer>>();

  constructor(frames: readonly ResizableFrame[], pool: PlanePool) {
    this.#frames = frames;
    this.#pool = pool;
  }

  /** Frames `indices` as one model's NCHW input: resized to `size` (once per frame and size) and normalised by `affine`. */
  tensor(indices: readonly number[], size: Size, method: ResizeMethod, affine: ChannelAffine): Float32Array {
    const plane = size.width * size.height;
    const out = new Float32Array(indices.length * 3 * plane);
    indices.forEach((b, i) => normalisePlanar(this.#planesOf(b, size, method), plane, affine, out, i * 3 * plane));
    return out;
  }

  /** The batch is done: its planes go back to the pool. */
  release(): void {
    for (const planes of this.#planes.values()) this.#pool.give(planes);
    this.#planes.clear();
  }

  #planesOf(b: number, size: Size, method: ResizeMethod): Float64Array<ArrayBuffer> {
    const key = `${b} ${size.width}x${size.height} ${method}`;
    let planes = this.#planes.get(key);
    if (planes === undefined) {
      const frame = this.#frames[b]!;
      planes = this.#pool.take(3 * size.width * size.height);
      resizeToPlanar(frame.data, frame, size, method, planes);
      this.#planes.set(key, planes);
    }
    return planes;
  }
}

/**
 * Plane buffers kept from batch to batch: on a live stream, a frame comes after an idle gap, and
 * resizing into a fresh buffer (new, cold pages) cost it more than into one used before.
 */
export class PlanePool {
  static readonly KEPT_PER_LENGTH = 64;
  readonly #free = new Map<number, Float64Array<ArrayBuffer>[]>();

  take(length: number): Float64Array<ArrayBuffer> {
    return this.#free.get(length)?.pop() ?? new Float64Array(length);
  }

  give(buffer: Float64Array<ArrayBuffer>): void {
    let free = this.#free.get(buffer.length);
    if (free === undefined) this.#free.set(buffer.length, (free = []));
    if (free.length < PlanePool.KEPT_PER_LENGTH) free.push(buffer);
  }
}
