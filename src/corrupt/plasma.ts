/**
 * Diamond-square plasma fractal on a periodic size x size grid (size a power of two), normalised to
 * [0, 1]. Same recipe as the originals' fog: start at 0, each level fills square centres then
 * diamond centres with the mean of their 4 neighbours plus U(-wibble, wibble) * wibble, and wibble
 * shrinks by `wibbleDecay` per level (smaller decay = more fine detail).
 */
import { type FloatImage, createFloat } from './image.js';
import type { Rng } from './prng.js';

export function plasmaFractal(size: number, wibbleDecay: number, rng: Rng): Float32Array {
  if (size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`plasma size must be a power of two >= 2, got ${size}`);
  const map = new Float32Array(size * size);
  const at = (r: number, c: number): number => map[(r & (size - 1)) * size + (c & (size - 1))];
  let wibble = 100;
  const jitter = (): number => wibble * rng.uniform(-wibble, wibble);
  for (let step = size; step >= 2; step >>= 1) {
    const half = step >> 1;
    // Square step: centre of each square of corners `step` apart.
    for (let r = 0; r < size; r += step) {
      for (let c = 0; c < size; c += step) {
        const sum = at(r, c) + at(r + step, c) + at(r, c + step) + at(r + step, c + step);
        map[(r + half) * size + c + half] = sum / 4 + jitter();
      }
    }
    // Diamond step: edge midpoints, from the two corners and the two square centres beside them.
    for (let r = 0; r < size; r += step) {
      for (let c = 0; c < size; c += step) {
        const right = at(r, c) + at(r, c + step) + at(r - half, c + half) + at(r + half, c + half);
        map[r * size + c + half] = right / 4 + jitter();
        const down = at(r, c) + at(r + step, c) + at(r + half, c - half) + at(r + half, c + half);
        map[(r + half) * size + c] = down / 4 + jitter();
      }
    }
    wibble /= wibbleDecay;
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of map) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min || 1;
  for (let i = 0; i < map.length; i++) map[i] = (map[i] - min) / range;
  return map;
}

export function nextPowerOfTwo(n: number): number {
  let p = 2;
  while (p < n) p <<= 1;
  return p;
}

/** A width x height crop of a periodic plasma map just large enough to hold it, as a 1-channel image. */
export function plasmaLayer(width: number, height: number, wibbleDecay: number, rng: Rng): FloatImage {
  const size = nextPowerOfTwo(Math.max(width, height));
  const map = plasmaFractal(size, wibbleDecay, rng);
  const out = createFloat(width, height, 1);
  for (let y = 0; y < height; y++) out.data.set(map.subarray(y * size, y * size + width), y * width);
  return out;
}
