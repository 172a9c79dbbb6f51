/** Float working images and border handling shared by all corruption families. */
import type { RgbImage } from './types.js';
import { boxTaps } from '../image/resample-taps.js';

/** Interleaved float image, values nominally in [0, 1]; channels 1 (masks, layers) or 3 (rgb). */
export interface FloatImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export function createFloat(width: number, height: number, channels: number): FloatImage {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

export function fromRgb(img: RgbImage): FloatImage {
  const out = createFloat(img.width, img.height, 3);
  const src = img.data;
  const dst = out.data;
  const inv = 1 / 255;
  for (let i = 0; i < dst.length; i++) dst[i] = src[i] * inv;
  return out;
}

/** Clips to [0, 1] and rounds to bytes (the originals truncate; rounding avoids a -0.5 level bias). */
export function toRgbBytes(img: FloatImage): Uint8Array {
  if (img.channels !== 3) throw new Error('toRgbBytes needs a 3-channel image');
  const src = img.data;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i] * 255 + 0.5;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v; // Uint8Array assignment truncates
  }
  return out;
}

/**
 * How an index outside [0, n) is folded back:
 * - nearest: clamp to the edge (skimage gaussian default, ImageMagick edge pixels);
 * - reflect: mirror including the edge sample, d c b a | a b c d (scipy 'reflect');
 * - mirror:  mirror excluding the edge sample, d c b | a b c d (OpenCV default BORDER_REFLECT_101);
 * - wrap:    periodic.
 */
export type Border = 'nearest' | 'reflect' | 'mirror' | 'wrap';

export function borderIndex(i: number, n: number, mode: Border): number {
  if (i >= 0 && i < n) return i;
  if (n === 1) return 0;
  switch (mode) {
    case 'nearest':
      return i < 0 ? 0 : n - 1;
    case 'wrap':
      return ((i % n) + n) % n;
    case 'reflect': {
      const period = 2 * n;
      const m = ((i % period) + period) % period;
      return m < n ? m : period - 1 - m;
    }
    case 'mirror': {
      const period = 2 * n - 2;
      const m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
  }
}

/** Copy with `pad` extra pixels on every side, filled by the border rule. */
export function padImage(img: FloatImage, pad: number, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const pw = w + 2 * pad;
  const ph = h + 2 * pad;
  const out = createFloat(pw, ph, c);
  const colMap = new Int32Array(pw);
  for (let x = 0; x < pw; x++) colMap[x] = borderIndex(x - pad, w, mode);
  for (let y = 0; y < ph; y++) {
    const sy = borderIndex(y - pad, h, mode);
    const srcRow = sy * w * c;
    const dstRow = y * pw * c;
    for (let x = 0; x < pw; x++) {
      const s = srcRow + colMap[x] * c;
      const d = dstRow + x * c;
      for (let k = 0; k < c; k++) out.data[d + k] = img.data[s + k];
    }
  }
  return out;
}

/** Linear interpolation table along one axis: out[i] = src[i0]*(1-t) + src[i1]*t. */
export interface AxisTable {
  i0: Int32Array;
  i1: Int32Array;
  t: Float32Array;
}

/** Table for source coordinates `coord(i)` (pixel centres at integers), folded by `mode`. */
export function axisTable(n: number, srcN: number, coord: (i: number) => number, mode: Border = 'nearest'): AxisTable {
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = coord(i);
    const f = Math.floor(u);
    i0[i] = borderIndex(f, srcN, mode);
    i1[i] = borderIndex(f + 1, srcN, mode);
    t[i] = u - f;
  }
  return { i0, i1, t };
}

/** Separable bilinear resampling through per-axis tables; `acc` (same shape as the result) is added to when given. */
export function resampleSeparable(src: FloatImage, xs: AxisTable, ys: AxisTable, acc?: FloatImage): FloatImage {
  const w = xs.i0.length;
  const h = ys.i0.length;
  const c = src.channels;
  const out = acc ?? createFloat(w, h, c);
  const sd = src.data;
  const od = out.data;
  const rowLen = src.width * c;
  for (let y = 0; y < h; y++) {
    const r0 = ys.i0[y] * rowLen;
    const r1 = ys.i1[y] * rowLen;
    const ty = ys.t[y];
    let o = y * w * c;
    for (let x = 0; x < w; x++) {
      const a = xs.i0[x] * c;
      const b = xs.i1[x] * c;
      const tx = xs.t[x];
      for (let k = 0; k < c; k++, o++) {
        const top = sd[r0 + a + k] + (sd[r0 + b + k] - sd[r0 + a + k]) * tx;
        const bot = sd[r1 + a + k] + (sd[r1 + b + k] - sd[r1 + a + k]) * tx;
        od[o] += top + (bot - top) * ty;
      }
    }
  }
  return out;
}

/**
 * Center-anchored bilinear zoom of `src` onto an outW x outH grid: the source is first stretched
 * to the output size, then magnified by `zoom` about the centre (what the originals' clipped_zoom
 * does, without its half-pixel crop/trim offsets). zoom = 1 is a plain resize.
 */
export function zoomCentered(src: FloatImage, outW: number, outH: number, zoom: number, acc?: FloatImage): FloatImage {
  const fx = src.width / outW / zoom;
  const fy = src.height / outH / zoom;
  const xs = axisTable(outW, src.width, (x) => (x + 0.5 - outW / 2) * fx + src.width / 2 - 0.5);
  const ys = axisTable(outH, src.height, (y) => (y + 0.5 - outH / 2) * fy + src.height / 2 - 0.5);
  return resampleSeparable(src, xs, ys, acc);
}

/** Bilinear resize with pixel centres aligned. */
export function resizeBilinear(src: FloatImage, outW: number, outH: number): FloatImage {
  if (outW === src.width && outH === src.height) return { ...src, data: src.data.slice() };
  return zoomCentered(src, outW, outH, 1);
}

/** Bilinear lookup at arbitrary per-pixel source coordinates (like scipy map_coordinates order=1). */
export function remapBilinear(src: FloatImage, mapX: Float32Array, mapY: Float32Array, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = src;
  const out = createFloat(w, h, c);
  const sd = src.data;
  const od = out.data;
  for (let p = 0; p < w * h; p++) {
    const u = mapX[p];
    const v = mapY[p];
    const fx = Math.floor(u);
    const fy = Math.floor(v);
    const tx = u - fx;
    const ty = v - fy;
    const x0 = borderIndex(fx, w, mode) * c;
    const x1 = borderIndex(fx + 1, w, mode) * c;
    const y0 = borderIndex(fy, h, mode) * w * c;
    const y1 = borderIndex(fy + 1, h, mode) * w * c;
    const o = p * c;
    for (let k = 0; k < c; k++) {
      const top = sd[y0 + x0 + k] + (sd[y0 + x1 + k] - sd[y0 + x0 + k]) * tx;
      const bot = sd[y1 + x0 + k] + (sd[y1 + x1 + k] - sd[y1 + x0 + k]) * tx;
      od[o + k] = top + (bot - top) * ty;
    }
  }
  return out;
}

/** Luma as OpenCV's RGB2GRAY computes it (0.299, 0.587, 0.114). */
export function grayOf(img: FloatImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let p = 0, i = 0; p < n; p++, i += 3) out[p] = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  return out;
}

/** Exact area-average downscale (every source pixel weighted by how much of it the target pixel covers). */
export function resizeArea(src: FloatImage, outW: number, outH: number): FloatImage {
  const c = src.channels;
  const xw = boxTaps(src.width, outW);
  const yw = boxTaps(src.height, outH);
  const mid = createFloat(outW, src.height, c);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * c;
      for (let t = xw.start[x]; t < xw.start[x + 1]; t++) {
        const s = (y * src.width + xw.index[t]) * c;
        const wt = xw.weight[t];
        for (let k = 0; k < c; k++) mid.data[o + k] += wt * src.data[s + k];
      }
    }
  }
  const out = createFloat(outW, outH, c);
  const rowLen = outW * c;
  for (let y = 0; y < outH; y++) {
    for (let t = yw.start[y]; t < yw.start[y + 1]; t++) {
      const s = yw.index[t] * rowLen;
      const wt = yw.weight[t];
      for (let i = 0; i < rowLen; i++) out.data[y * rowLen + i] += wt * mid.data[s + i];
    }
  }
  return out;
}

/** Nearest-neighbour resize (pixel centres aligned). */
export function resizeNearest(src: FloatImage, outW: number, outH: number): FloatImage {
  const c = src.channels;
  const out = createFloat(outW, outH, c);
  const xs = new Int32Array(outW);
  for (let x = 0; x < outW; x++) xs[x] = Math.min(src.width - 1, Math.floor(((x + 0.5) * src.width) / outW));
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(src.height - 1, Math.floor(((y + 0.5) * src.height) / outH));
    for (let x = 0; x < outW; x++) {
      const s = (sy * src.width + xs[x]) * c;
      const o = (y * outW + x) * c;
      for (let k = 0; k < c; k++) out.data[o + k] = src.data[s + k];
    }
  }
  return out;
}
