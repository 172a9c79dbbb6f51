/**
 * A small grey thumbnail of a frame and the mean difference of two: the cheap "did the picture
 * change" signal behind scene-cut detection (label smoothing) and motion gating. Area-averaged
 * with the one resampler's taps, so camera noise averages out and only real change remains.
 */
import { boxTaps } from './resample-taps.js';
import type { RgbImage } from './rgb-image.js';

/** Side of the square thumbnail: 16x16 = 256 values, enough to see a cut, cheap at any frame size. */
export const THUMBNAIL_SIDE = 16;

/** Grey (BT.601 luma) area average of `image` at side x side, values in [0, 1], row-major. */
export function greyThumbnail(image: RgbImage, side = THUMBNAIL_SIDE): Float32Array {
  const { width, height, data } = image;
  const xs = boxTaps(width, side);
  const ys = boxTaps(height, side);
  // Horizontal pass over every source row into `rows` (height x side), then the vertical pass.
  const rows = new Float32Array(height * side);
  for (let y = 0; y < height; y++) {
    const rowStart = y * width * 3;
    for (let x = 0; x < side; x++) {
      let sum = 0;
      for (let t = xs.start[x]!; t < xs.start[x + 1]!; t++) {
        const p = rowStart + xs.index[t]! * 3;
        sum += xs.weight[t]! * (0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!);
      }
      rows[y * side + x] = sum;
    }
  }
  const out = new Float32Array(side * side);
  for (let y = 0; y < side; y++) {
    for (let t = ys.start[y]!; t < ys.start[y + 1]!; t++) {
      const w = ys.weight[t]! / 255;
      const row = ys.index[t]! * side;
      for (let x = 0; x < side; x++) out[y * side + x] += w * rows[row + x]!;
    }
  }
  return out;
}

/** Mean absolute difference of two thumbnails of the same side, in [0, 1]. */
export function thumbnailDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`thumbnails of ${a.length} and ${b.length} values cannot be compared`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
