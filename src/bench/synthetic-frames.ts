/** Deterministic synthetic frames for the ceiling: no ffmpeg, no decoding, just pixels. */
import type { Frame } from '../stream/index.js';

/** A batch of `count` rgb24 frames of the given size, each a different smooth gradient plus texture. */
export function syntheticBatch(count: number, size: { width: number; height: number }, streamId = 'bench'): Frame[] {
  const { width, height } = size;
  return Array.from({ length: count }, (_, seq) => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        data[i] = ((x * 255) / width + seq * 17) & 0xff;
        data[i + 1] = ((y * 255) / height + seq * 29) & 0xff;
        data[i + 2] = ((x ^ y) * 8 + seq * 7) & 0xff;
      }
    }
    return { streamId, seq, ptsMs: seq * 33.3, capturedAt: performance.now(), width, height, data, discontinuity: false };
  });
}
