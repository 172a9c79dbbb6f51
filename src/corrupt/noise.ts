/**
 * Noise family: gaussian, shot (Poisson), impulse (salt & pepper), speckle.
 * Draws are made per grain cell (grain x grain pixels, per channel; grain = 1 at 32x32), so a
 * large frame gets CIFAR-sized noise specks instead of per-pixel noise that a downscale erases.
 */
import type { FloatImage } from './image.js';
import { type Rng, poissonCdfTables, poissonQuantile } from './prng.js';
import { GAUSSIAN_NOISE, IMPULSE_NOISE, SHOT_NOISE, SPECKLE_NOISE } from './params.js';
import type { FrameScale } from './scale.js';
import type { Severity } from './types.js';

/** Calls `apply(i, cellIndex)` for every value index i with the index of its grain cell value. */
function forEachGrainCell(img: FloatImage, grain: number, apply: (i: number, cell: number) => void): void {
  const { width: w, height: h, channels: c } = img;
  const cellsW = Math.ceil(w / grain);
  for (let y = 0; y < h; y++) {
    const cellRow = Math.floor(y / grain) * cellsW;
    for (let x = 0; x < w; x++) {
      const cell = (cellRow + Math.floor(x / grain)) * c;
      const i = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) apply(i + ch, cell + ch);
    }
  }
}

function cellCount(img: FloatImage, grain: number): number {
  return Math.ceil(img.width / grain) * Math.ceil(img.height / grain) * img.channels;
}

export function gaussianNoise(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const sigma = GAUSSIAN_NOISE[severity - 1];
  const z = rng.normals(cellCount(img, scale.grain));
  const out = new Float32Array(img.data.length);
  forEachGrainCell(img, scale.grain, (i, cell) => {
    out[i] = img.data[i] + sigma * z[cell];
  });
  return { ...img, data: out };
}

/** Poisson(x * rate) / rate, exact, by inverse CDF (the input is 8-bit, so 256 tables cover it). */
export function shotNoise(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const rate = SHOT_NOISE[severity - 1];
  const tables = poissonCdfTables(rate);
  const u = rng.uniforms(cellCount(img, scale.grain));
  const out = new Float32Array(img.data.length);
  forEachGrainCell(img, scale.grain, (i, cell) => {
    const level = Math.min(255, Math.max(0, Math.round(img.data[i] * 255)));
    out[i] = poissonQuantile(tables[level], u[cell]) / rate;
  });
  return { ...img, data: out };
}

export function impulseNoise(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const amount = IMPULSE_NOISE[severity - 1];
  const u = rng.uniforms(cellCount(img, scale.grain));
  const out = new Float32Array(img.data.length);
  // A value is flipped with probability `amount`, half of the flips to pepper (0), half to salt (1).
  forEachGrainCell(img, scale.grain, (i, cell) => {
    const r = u[cell];
    out[i] = r < amount / 2 ? 0 : r < amount ? 1 : img.data[i];
  });
  return { ...img, data: out };
}

export function speckleNoise(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const sigma = SPECKLE_NOISE[severity - 1];
  const z = rng.normals(cellCount(img, scale.grain));
  const out = new Float32Array(img.data.length);
  forEachGrainCell(img, scale.grain, (i, cell) => {
    const x = img.data[i];
    out[i] = x + x * sigma * z[cell];
  });
  return { ...img, data: out };
}
