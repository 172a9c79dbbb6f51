/**
 * Resizing a packed rgb24 image into a region of another, with the one resampler's taps
 * (resample-taps.ts): the annotated video's side-by-side layout enlarges the editor's 32x32 output
 * to the frame's size this way. Separable: rows into a float scratch, then columns into `dst`.
 */
import { axisTaps, type ResizeMethod } from './resample-taps.js';
import type { RgbImage } from './rgb-image.js';
import type { Rect } from './draw-text.js';

let scratch = new Float32Array(0);
let acc = new Float32Array(0);

/** Draws all of `src` resized to fill `into` (a region inside `dst`, which it must fit). */
export function resizeRgbInto(src: RgbImage, dst: RgbImage, into: Rect, method: ResizeMethod = 'bilinear'): void {
  const { x, y, width: w, height: h } = into;
  if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > dst.width || y + h > dst.height) {
    throw new RangeError(`region ${w}x${h}+${x}+${y} does not fit in ${dst.width}x${dst.height}`);
  }
  const tx = axisTaps(src.width, w, method);
  const ty = axisTaps(src.height, h, method);
  const rowLength = w * 3;
  if (scratch.length < src.height * rowLength) scratch = new Float32Array(src.height * rowLength);
  const mid = scratch;
  for (let sy = 0; sy < src.height; sy++) {
    const srcRow = sy * src.width * 3;
    const midRow = sy * rowLength;
    for (let dx = 0; dx < w; dx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let t = tx.start[dx]; t < tx.start[dx + 1]; t++) {
        const s = srcRow + tx.index[t] * 3;
        const wt = tx.weight[t];
        r += wt * src.data[s];
        g += wt * src.data[s + 1];
        b += wt * src.data[s + 2];
      }
      mid[midRow + dx * 3] = r;
      mid[midRow + dx * 3 + 1] = g;
      mid[midRow + dx * 3 + 2] = b;
    }
  }
  // Row by row, tap by tap: each output row is a weighted sum of whole scratch rows. A clamped
  // view rounds and clamps on store, with no branch per value.
  if (acc.length < rowLength) acc = new Float32Array(rowLength);
  const row = acc;
  const clamped = new Uint8ClampedArray(dst.data.buffer, dst.data.byteOffset, dst.data.byteLength);
  for (let dy = 0; dy < h; dy++) {
    const t0 = ty.start[dy];
    const t1 = ty.start[dy + 1];
    const out = ((y + dy) * dst.width + x) * 3;
    if (t1 - t0 === 2) {
      // Enlarging (bilinear): two rows, no accumulator.
      const w0 = ty.weight[t0];
      const w1 = ty.weight[t0 + 1];
      const a = ty.index[t0] * rowLength;
      const b = ty.index[t0 + 1] * rowLength;
      for (let i = 0; i < rowLength; i++) clamped[out + i] = w0 * mid[a + i] + w1 * mid[b + i];
      continue;
    }
    row.fill(0, 0, rowLength);
    for (let t = t0; t < t1; t++) {
      const wt = ty.weight[t];
      const base = ty.index[t] * rowLength;
      for (let i = 0; i < rowLength; i++) row[i] += wt * mid[base + i];
    }
    for (let i = 0; i < rowLength; i++) clamped[out + i] = row[i];
  }
}
