/**
 * The one resampler's weights: for each target position along an axis, which source positions it
 * reads and with what weight. The model's preprocessing (rgb24 -> planar float) and the corruptions
 * (area downscales, e.g. pixelate) both resample with these taps, so that a "32x32 area average"
 * means the same thing everywhere.
 */

/** 'area': exact box average when shrinking (bilinear when enlarging); 'bilinear': half-pixel-centred. */
export type ResizeMethod = 'area' | 'bilinear';

/**
 * Source taps of each target position along one axis: target i reads source[index[k]] * weight[k]
 * for k in start[i] .. start[i + 1] - 1. Weights of a position sum to 1.
 */
export interface AxisTaps {
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

const tapCache = new Map<string, AxisTaps>();
const TAP_CACHE_LIMIT = 64;

export function axisTaps(srcLength: number, dstLength: number, method: ResizeMethod): AxisTaps {
  const key = `${srcLength}:${dstLength}:${method}`;
  let taps = tapCache.get(key);
  if (!taps) {
    // 'area' is a box filter, meant for shrinking; enlarging with it would be nearest-neighbour with
    // seams, so an enlarging axis is interpolated bilinearly (as OpenCV's INTER_AREA does).
    taps = method === 'area' && srcLength > dstLength ? boxTaps(srcLength, dstLength) : bilinearTaps(srcLength, dstLength);
    if (tapCache.size >= TAP_CACHE_LIMIT) tapCache.delete(tapCache.keys().next().value as string);
    tapCache.set(key, taps);
  }
  return taps;
}

/** Exact box average: target i covers source interval [i*s, (i+1)*s), s = src/dst, weighted by overlap. */
export function boxTaps(srcLength: number, dstLength: number): AxisTaps {
  const s = srcLength / dstLength;
  const start = new Int32Array(dstLength + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let i = 0; i < dstLength; i++) {
    start[i] = index.length;
    const lo = i * s;
    const hi = Math.min((i + 1) * s, srcLength);
    for (let j = Math.floor(lo); j < hi; j++) {
      const overlap = Math.min(j + 1, hi) - Math.max(j, lo);
      if (overlap > 1e-9) {
        index.push(j);
        weight.push(overlap / s);
      }
    }
  }
  start[dstLength] = index.length;
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/** Half-pixel-centred linear interpolation (PyTorch's align_corners=False, no antialias). */
export function bilinearTaps(srcLength: number, dstLength: number): AxisTaps {
  const s = srcLength / dstLength;
  const start = new Int32Array(dstLength + 1);
  const index = new Int32Array(2 * dstLength);
  const weight = new Float32Array(2 * dstLength);
  for (let i = 0; i < dstLength; i++) {
    start[i] = 2 * i;
    const x = Math.max((i + 0.5) * s - 0.5, 0);
    const i0 = Math.min(Math.floor(x), srcLength - 1);
    const i1 = Math.min(i0 + 1, srcLength - 1);
    const f = x - i0;
    index[2 * i] = i0;
    weight[2 * i] = 1 - f;
    index[2 * i + 1] = i1;
    weight[2 * i + 1] = f;
  }
  start[dstLength] = 2 * dstLength;
  return { start, index, weight };
}
