/**
 * One stream's frames on their way into one ffmpeg encode (an annotated video, a recording): a
 * FIFO the sink pushes into from frame() without waiting, and a pump that renders each item and
 * writes it to ffmpeg's stdin, waiting while the pipe is full. The encode starts with the first
 * frame, whose size it takes.
 *
 * Bounded: a push beyond `capacity` is dropped and counted (a live recording that falls behind
 * loses frames, never memory). A replay must lose none: its role waits on whenBelow() before it
 * lets the source read more (see src/flow/release-gate.ts), so the queue never fills.
 *
 *   const queue = new FrameEncodeQueue({ capacity: 64, render, open: (size) => encodeRawVideo({...}) });
 *   queue.push(item);            // false: dropped (full, failed or closed)
 *   await queue.close();         // writes what is queued, then finishes the file
 */
import type { RgbImage } from '../image/rgb-image.js';
import type { EncodeResult, RawVideoSink } from './video-encoder.js';

/** Why items were refused: the queue was full (the encoder is behind), the encode had failed, or it was closed. */
export type DropReason = 'behind' | 'failed' | 'closed';

export interface FrameEncodeQueueOptions<T> {
  /** Items waiting beyond this are refused (dropped, counted). */
  capacity: number;
  /** Makes the frame to write from an item; runs in the pump, not in push(). */
  render(item: T): RgbImage;
  /** Starts the encode for frames of this size (called once, with the first frame). */
  open(size: { width: number; height: number }): Promise<RawVideoSink>;
  /** The encode failed (ffmpeg died, a bad path...): later pushes are dropped; close() rejects with it. */
  onFailure?(error: Error): void;
  /** Items were refused (also counted in `dropped`): for the role's metrics. */
  onDropped?(count: number, reason: DropReason): void;
}

export class FrameEncodeQueue<T> {
  readonly #options: FrameEncodeQueueOptions<T>;
  readonly #items: T[] = [];
  readonly #waiters: Array<{ limit: number; resolve: () => void }> = [];
  #encoder: RawVideoSink | undefined;
  #pumping: Promise<void> | undefined;
  /** An item is being rendered or written (it counts in the backlog). */
  #writing = false;
  #failure: Error | undefined;
  #closed = false;
  #dropped = 0;

  constructor(options: FrameEncodeQueueOptions<T>) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${options.capacity}`);
    this.#options = options;
  }

  /** Items queued or being written. */
  get backlog(): number {
    return this.#items.length + (this.#writing ? 1 : 0);
  }

  /** Items refused: the queue was full, the encode had failed, or it was closed. */
  get dropped(): number {
    return this.#dropped;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Frames ffmpeg has taken so far. */
  get written(): number {
    return this.#encoder?.frames ?? 0;
  }

  /** Queues an item; returns at once. False when it was dropped. */
  push(item: T): boolean {
    if (this.#closed || this.#failure || this.#items.length >= this.#options.capacity) {
      this.#drop(1, this.#closed ? 'closed' : this.#failure ? 'failed' : 'behind');
      return false;
    }
    this.#items.push(item);
    this.#pumping ??= this.#pump();
    return true;
  }

  /** Undefined while the backlog is below `limit`; else a promise that resolves once it is (or the encode failed). */
  whenBelow(limit: number): Promise<void> | undefined {
    if (this.backlog < limit || this.#failure) return undefined;
    return new Promise((resolve) => this.#waiters.push({ limit, resolve }));
  }

  /**
   * Writes what is queued and finishes the file. Resolves with the encode's result (undefined when
   * no frame ever came: there is no file); rejects with the failure of a failed encode.
   */
  async close(): Promise<EncodeResult | undefined> {
    this.#closed = true;
    await this.#pumping;
    if (this.#failure) throw this.#failure;
    return this.#encoder?.close().catch((error: Error) => {
      this.#fail(error);
      throw error;
    });
  }

  /** Kills the encode at once and deletes its output (nothing more is written). */
  async abort(): Promise<void> {
    this.#closed = true;
    this.#drop(this.#items.splice(0).length, 'closed');
    await this.#pumping;
    await this.#encoder?.abort();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#items.length > 0 && !this.#failure) {
        const item = this.#items.shift()!;
        this.#writing = true;
        const image = this.#options.render(item);
        this.#encoder ??= await this.#options.open(image);
        await this.#encoder.write(image.data);
        this.#writing = false;
        this.#wake();
      }
    } catch (error) {
      this.#fail(error as Error);
    } finally {
      this.#writing = false;
      this.#pumping = undefined;
      this.#wake();
    }
  }

  #fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    this.#drop(this.#items.splice(0).length, 'failed');
    this.#options.onFailure?.(error);
  }

  #drop(count: number, reason: DropReason): void {
    if (count === 0) return;
    this.#dropped += count;
    this.#options.onDropped?.(count, reason);
  }

  #wake(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i];
      if (this.backlog < waiter.limit || this.#failure) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}
