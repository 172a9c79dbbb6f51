/**
 * Image conversions on the hot path: packed rgb24 at any size <-> planar float32 model tensors.
 *
 * Resizing is separable: a horizontal pass over the source rows into a float scratch buffer, then a
 * vertical pass into three planes; each model's per-channel normalisation is applied to those
 * planes afterwards, so one resize serves every model of the same size. The tap tables of
 * each (source length, target length, method) are computed once and cached, since a stream's
 * frame size and the model size do not change from frame to frame (src/image/resample-taps.ts).
 */
import { axisTaps, type ResizeMethod } from '../image/resample-taps.js';

export type { ResizeMethod };

/** out = value * scale[c] + offset[c] per channel, with value the resampled 0..255 intensity. */
export interface ChannelAffine {
  scale: readonly [number, number, number];
  offset: readonly [number, number, number];
}

export interface Size {
  width: number;
  height: number;
}

/** Classifier convention: [0,1], then (x - mean) / std. */
export function classifierAffine(mean: readonly number[], std: readonly number[]): ChannelAffine {
  return {
    scale: [1 / (255 * std[0]), 1 / (255 * std[1]), 1 / (255 * std[2])],
    offset: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}

/** VAE convention: [-1,1]. */
export const VAE_AFFINE: ChannelAffine = { scale: [2 / 255, 2 / 255, 2 / 255], offset: [-1, -1, -1] };

let rowScratch = new Float32Array(0);
let planeScratch = new Float64Array(0);

function rowScratchOf(length: number): Float32Array {
  if (rowScratch.length < length) rowScratch = new Float32Array(length);
  return rowScratch;
}

/**
 * Resizes one packed rgb24 image to planar R, G, B intensities (0..255, not normalised) in `out`
 * (3 * width * height values). Kept in float64, exactly as the sums come out, so that normalising
 * them afterwards (normalisePlanar) gives bit for bit what resizing and normalising in one go gave:
 * a frame is resized once, and every model of that size and resampling normalises the same planes.
 */
export function resizeToPlanar(src: Uint8Array, srcSize: Size, dstSize: Size, method: ResizeMethod, out = new Float64Array(3 * dstSize.width * dstSize.height)): Float64Array {
  const { width: sw, height: sh } = srcSize;
  const { width: dw, height: dh } = dstSize;
  if (src.length < sw * sh * 3) throw new RangeError(`rgb24 image ${sw}x${sh} needs ${sw * sh * 3} bytes, got ${src.length}`);
  if (out.length < 3 * dw * dh) throw new RangeError('output planes too small for the image');
  const plane = dw * dh;

  if (sw === dw && sh === dh) {
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      out[p] = src[q];
      out[plane + p] = src[q + 1];
      out[2 * plane + p] = src[q + 2];
    }
    return out;
  }

  const tx = axisTaps(sw, dw, method);
  const ty = axisTaps(sh, dh, method);

  // Horizontal pass: sh rows of dw interleaved rgb floats.
  const rows = rowScratchOf(sh * dw * 3);
  for (let y = 0; y < sh; y++) {
    const srcRow = y * sw * 3;
    const rowOut = y * dw * 3;
    for (let x = 0; x < dw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = tx.start[x], end = tx.start[x + 1]; k < end; k++) {
        const q = srcRow + tx.index[k] * 3;
        const w = tx.weight[k];
        r += src[q] * w;
        g += src[q + 1] * w;
        b += src[q + 2] * w;
      }
      const o = rowOut + x * 3;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
    }
  }

  // Vertical pass into the three planes.
  for (let y = 0; y < dh; y++) {
    const kStart = ty.start[y];
    const kEnd = ty.start[y + 1];
    const p0 = y * dw;
    for (let x = 0; x < dw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = kStart; k < kEnd; k++) {
        const q = (ty.index[k] * dw + x) * 3;
        const w = ty.weight[k];
        r += rows[q] * w;
        g += rows[q + 1] * w;
        b += rows[q + 2] * w;
      }
      out[p0 + x] = r;
      out[plane + p0 + x] = g;
      out[2 * plane + p0 + x] = b;
    }
  }
  return out;
}

/** Writes resized planes (resizeToPlanar) as a model's planar CHW float32 input into `out` at `outOffset`, normalised by `affine`. */
export function normalisePlanar(planes: Float64Array, plane: number, affine: ChannelAffine, out: Float32Array, outOffset: number): void {
  if (out.length < outOffset + 3 * plane) throw new RangeError('output tensor too small for the image');
  for (let c = 0; c < 3; c++) {
    const scale = affine.scale[c]!;
    const offset = affine.offset[c]!;
    for (let p = c * plane, o = outOffset + c * plane, end = p + plane; p < end; p++, o++) out[o] = planes[p]! * scale + offset;
  }
}

/**
 * Resizes one packed rgb24 image and writes it as planar CHW float32 into `out` at `outOffset`
 * (the frame's slot in an NCHW batch), normalised by `affine`.
 */
export function rgb24ToPlanar(
  src: Uint8Array,
  srcSize: Size,
  out: Float32Array,
  outOffset: number,
  dstSize: Size,
  method: ResizeMethod,
  affine: ChannelAffine,
): void {
  const plane = dstSize.width * dstSize.height;
  if (out.length < outOffset + 3 * plane) throw new RangeError('output tensor too small for the image');
  if (planeScratch.length < 3 * plane) planeScratch = new Float64Array(3 * plane);
  normalisePlanar(resizeToPlanar(src, srcSize, dstSize, method, planeScratch), plane, affine, out, outOffset);
}

/**
 * VAE decoder output (planar CHW in [-1,1], at `offset` in a batch) -> packed rgb24, rounded and
 * clamped.
 */
export function planarToRgb24(src: Float32Array, offset: number, size: Size, out = new Uint8Array(size.width * size.height * 3)): Uint8Array {
  const plane = size.width * size.height;
  if (src.length < offset + 3 * plane) throw new RangeError('planar tensor too small for the image');
  for (let p = 0, q = 0; p < plane; p++, q += 3) {
    // (v + 1) * 127.5 + 0.5, truncated: round-half-up; Uint8ClampedArray-like clamping by hand.
    for (let c = 0; c < 3; c++) {
      const v = (src[offset + c * plane + p] + 1) * 127.5 + 0.5;
      out[q + c] = v <= 0 ? 0 : v >= 255 ? 255 : v | 0;
    }
  }
  return out;
}
