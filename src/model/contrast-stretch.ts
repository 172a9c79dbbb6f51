/**
 * The contrast stretch of the editor's input (manifest `contrastStretch`; training/contrast_stretch.py
 * is its Python twin, training/stretch_edit.py measured it):
 * fog, low contrast and low light squeeze a picture into a narrow band of grey levels, narrower
 * than anything the editor saw in training, and it edits such a picture further from the clean
 * one. A flat picture is stretched about its luma mid-band before the edit; the source prediction
 * still sees the frame as it came. On validation it lifted the selection panel's corrupted ensemble
 * by 0.5 points on both corruption families (logs/stretch_edit.jsonl). A noisy picture is left
 * alone: a stretch would amplify its noise.
 */
import { noiseLevel } from './detail-residual.js';
import type { ContrastStretch } from './manifest.js';
import type { Size } from './preprocess.js';

/** Rec. 601 luma weights, as training/contrast_stretch.py uses. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** The q-quantile of sorted values, interpolated linearly between neighbours (torch.quantile's default). */
function quantile(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (position - below) * (sorted[above]! - sorted[below]!);
}

/** Whether the picture's noise level reaches the stretch's noise threshold (none: never noisy). */
function isNoisy(planes: Float32Array, offset: number, size: Size, stretch: ContrastStretch): boolean {
  return stretch.noiseThreshold !== undefined && noiseLevel(planes, offset, size) >= stretch.noiseThreshold;
}

/** The gain and mid-band a picture would be stretched by; gain 1: left as it is (not flat, or noisy). */
export function stretchOf(planes: Float32Array, offset: number, { width, height }: Size, stretch: ContrastStretch): { gain: number; mid: number } {
  const plane = width * height;
  const luma = new Float64Array(plane);
  for (let i = 0; i < plane; i++) {
    let y = 0;
    for (let c = 0; c < 3; c++) y += LUMA[c] * ((planes[offset + c * plane + i]! + 1) / 2);
    luma[i] = y;
  }
  luma.sort();
  const lo = quantile(luma, stretch.percentile);
  const hi = quantile(luma, 1 - stretch.percentile);
  const span = Math.max(hi - lo, 1e-6);
  const flat = span < stretch.maxSpan && !isNoisy(planes, offset, { width, height }, stretch);
  const gain = flat ? Math.min(stretch.maxGain, Math.max(1, 1 / span)) : 1;
  return { gain, mid: (lo + hi) / 2 };
}

/**
 * Stretches the flat pictures of a planar [B,3,H,W] batch in [-1,1] in place, each through one
 * affine map on all three channels (the colour balance stays), clamped and rounded to the 8-bit
 * levels a frame has. Returns how many pictures it stretched.
 */
export function stretchContrast(planes: Float32Array, batch: number, size: Size, stretch: ContrastStretch): number {
  const values = 3 * size.width * size.height;
  let stretched = 0;
  for (let b = 0; b < batch; b++) {
    const offset = b * values;
    const { gain, mid } = stretchOf(planes, offset, size, stretch);
    if (gain <= 1) continue;
    stretched++;
    for (let i = offset, end = offset + values; i < end; i++) {
      const value = Math.min(1, Math.max(0, ((planes[i]! + 1) / 2 - mid) * gain + 0.5));
      planes[i] = (2 * Math.round(value * 255)) / 255 - 1;
    }
  }
  return stretched;
}
