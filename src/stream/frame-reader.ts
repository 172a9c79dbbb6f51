import type { Frame } from './frame.js';

export interface FrameReaderOptions {
  streamId: string;
  width: number;
  height: number;
  /**
   * Frame rate of ffmpeg's output for this run (config `fps`, the lavfi rate, or ffprobe's rate).
   * Known: ptsMs = frameIndex * 1000 / fps, exact for constant-rate input. Unknown (a camera or
   * stream that was not probed): ptsMs falls back to wall-clock milliseconds since this run's
   * first frame, which includes any jitter of the pipe.
   */
  fps: number | undefined;
  /** `seq` of the first frame this reader produces: sequence numbers continue across restarts. */
  firstSeq?: number;
  /** Clock for `capturedAt`; performance.now() unless a test needs another. */
  now?: () => number;
}

/**
 * Cuts ffmpeg's rawvideo byte stream (rgb24) into whole frames, however the pipe chunks it.
 * One reader serves one ffmpeg run: its first frame is marked `discontinuity: true`.
 *
 * Each frame's `data` owns its ArrayBuffer exactly (offset 0, width*height*3 bytes), so the
 * pipeline can transfer it to the inference worker without copying.
 *
 * @example
 *   const reader = new FrameReader({ streamId: 'cam1', width: 64, height: 48, fps: 30 });
 *   stdout.on('data', (chunk) => reader.push(chunk).forEach(emit));
 */
export class FrameReader {
  readonly frameSize: number;
  readonly #options: FrameReaderOptions;
  readonly #now: () => number;
  #current: Uint8Array | undefined;
  #filled = 0;
  #framesRead = 0;
  #firstCapturedAt = 0;

  constructor(options: FrameReaderOptions) {
    if (!Number.isInteger(options.width) || options.width <= 0 || !Number.isInteger(options.height) || options.height <= 0) {
      throw new RangeError(`frame size must be positive integers, got ${options.width}x${options.height}`);
    }
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.frameSize = options.width * options.height * 3;
  }

  /** Frames completed so far by this reader. */
  get framesRead(): number {
    return this.#framesRead;
  }

  /** Bytes of a frame begun but not yet complete; non-zero at end of input means a truncated frame. */
  get pendingBytes(): number {
    return this.#filled;
  }

  /** Appends a chunk of ffmpeg's stdout; returns the frames it completed, oldest first. */
  push(chunk: Uint8Array): Frame[] {
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      this.#current ??= new Uint8Array(this.frameSize);
      const take = Math.min(this.frameSize - this.#filled, chunk.length - offset);
      this.#current.set(chunk.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.frameSize) {
        frames.push(this.#complete(this.#current));
        this.#current = undefined;
        this.#filled = 0;
      }
    }
    return frames;
  }

  #complete(data: Uint8Array): Frame {
    const index = this.#framesRead++;
    const capturedAt = this.#now();
    if (index === 0) this.#firstCapturedAt = capturedAt;
    const { fps } = this.#options;
    return {
      streamId: this.#options.streamId,
      seq: (this.#options.firstSeq ?? 0) + index,
      ptsMs: fps ? (index * 1000) / fps : capturedAt - this.#firstCapturedAt,
      capturedAt,
      width: this.#options.width,
      height: this.#options.height,
      data,
      discontinuity: index === 0,
    };
  }
}
