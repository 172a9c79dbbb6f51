/**
 * Image conversions on the hot path: packed rgb24 at any size <-> planar float32 model tensors.
 *
 * Resizing is separable: a horizontal pass over the source rows into a float scratch buffer, then a
 * vertical pass that also applies the per-channel normalisation and writes NCHW. The tap tables of
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

/**
 * The same planar images under another normalisation: `src`, written with `from`, rewritten with
 * `to` into `out` (planes of `plane` values each, three per image). Lets a second model that takes
 * the same size and resampling reuse the first one's resized input instead of resizing again.
 */
export function reaffinePlanar(src: Float32Array, plane: number, from: ChannelAffine, to: ChannelAffine, out = new Float32Array(src.length)): Float32Array {
  for (let c = 0; c < 3; c++) {
    // v = x * from.scale + from.offset  ->  x * to.scale + to.offset = v * k + m
    const k = to.scale[c]! / from.scale[c]!;
    const m = to.offset[c]! - from.offset[c]! * k;
    for (let start = c * plane; start < src.length; start += 3 * plane) {
      for (let i = start, end = start + plane; i < end; i++) out[i] = src[i]! * k + m;
    }
  }
  return out;
}

let scratch = new Float32Array(0);

function scratchOf(length: number): Float32Array {
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch;
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
  const { width: sw, height: sh } = srcSize;
  const { width: dw, height: dh } = dstSize;
  if (src.length < sw * sh * 3) throw new RangeError(`rgb24 image ${sw}x${sh} needs ${sw * sh * 3} bytes, got ${src.length}`);
  if (out.length < outOffset + 3 * dw * dh) throw new RangeError('output tensor too small for the image');
  const plane = dw * dh;
  const [s0, s1, s2] = affine.scale;
  const [o0, o1, o2] = affine.offset;

  if (sw === dw && sh === dh) {
    for (let p = 0, q = 0; p < plane; p++, q += 3) {
      out[outOffset + p] = src[q] * s0 + o0;
      out[outOffset + plane + p] = src[q + 1] * s1 + o1;
      out[outOffset + 2 * plane + p] = src[q + 2] * s2 + o2;
    }
    return;
  }

  const tx = axisTaps(sw, dw, method);
  const ty = axisTaps(sh, dh, method);

  // Horizontal pass: sh rows of dw interleaved rgb floats.
  const rows = scratchOf(sh * dw * 3);
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

  // Vertical pass, normalising into the three planes.
  for (let y = 0; y < dh; y++) {
    const kStart = ty.start[y];
    const kEnd = ty.start[y + 1];
    const p0 = outOffset + y * dw;
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
      out[p0 + x] = r * s0 + o0;
      out[p0 + plane + x] = g * s1 + o1;
      out[p0 + 2 * plane + x] = b * s2 + o2;
    }
  }
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
