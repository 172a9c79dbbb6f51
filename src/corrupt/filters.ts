/** Linear filters on FloatImage: separable convolution, gaussian, disk (defocus) and line (motion) kernels. */
import { type Border, type FloatImage, borderIndex, createFloat, padImage } from './image.js';

/** Normalised 1-D gaussian with radius floor(truncate * sigma + 0.5), as scipy/skimage size it. */
export function gaussianKernel(sigma: number, truncate = 4): Float32Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  return gaussianKernelWithRadius(sigma, radius);
}

/**
 * Normalised 1-D gaussian over [-radius, radius] (OpenCV getGaussianKernel for ksize = 2r+1).
 * Tails below 1e-4 of the centre weight are cut (under 0.03 grey levels, fewer taps on big frames).
 */
export function gaussianKernelWithRadius(sigma: number, radius: number): Float32Array {
  if (sigma <= 0 || radius === 0) return Float32Array.of(1);
  const r = Math.min(radius, Math.ceil(sigma * Math.sqrt(2 * Math.log(1e4))));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp((-i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Correlates rows with `kx` and columns with `ky` (odd lengths, centred). */
export function convolveSeparable(img: FloatImage, kx: Float32Array, ky: Float32Array, mode: Border): FloatImage {
  return convolveColumns(convolveRows(img, kx, mode), ky, mode);
}

function convolveRows(img: FloatImage, k: Float32Array, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const r = (k.length - 1) >> 1;
  if (r === 0 && k[0] === 1) return { ...img, data: img.data.slice() };
  const out = createFloat(w, h, c);
  // One padded row at a time keeps the inner loop free of border checks.
  const row = new Float32Array((w + 2 * r) * c);
  const colMap = new Int32Array(w + 2 * r);
  for (let x = 0; x < w + 2 * r; x++) colMap[x] = borderIndex(x - r, w, mode);
  for (let y = 0; y < h; y++) {
    const base = y * w * c;
    for (let x = 0; x < w + 2 * r; x++) {
      const s = base + colMap[x] * c;
      for (let ch = 0; ch < c; ch++) row[x * c + ch] = img.data[s + ch];
    }
    const od = out.data;
    for (let t = 0; t < k.length; t++) {
      const kt = k[t];
      if (kt === 0) continue;
      const off = t * c;
      for (let i = 0; i < w * c; i++) od[base + i] += kt * row[off + i];
    }
  }
  return out;
}

function convolveColumns(img: FloatImage, k: Float32Array, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const r = (k.length - 1) >> 1;
  if (r === 0 && k[0] === 1) return img;
  const out = createFloat(w, h, c);
  const rowLen = w * c;
  const sd = img.data;
  const od = out.data;
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (let t = 0; t < k.length; t++) {
      const kt = k[t];
      if (kt === 0) continue;
      const s = borderIndex(y + t - r, h, mode) * rowLen;
      for (let i = 0; i < rowLen; i++) od[o + i] += kt * sd[s + i];
    }
  }
  return out;
}

/** Kernels longer than this (never at 32x32, where sigma <= 1) are approximated by box passes. */
const MAX_EXACT_GAUSSIAN_TAPS = 9;

/**
 * skimage.filters.gaussian equivalent (spatial only; default border 'nearest', truncate 4).
 * Wide kernels switch to three box blurs with matched variance: O(1) per pixel, visually identical.
 */
export function gaussianBlur(img: FloatImage, sigma: number, mode: Border = 'nearest', truncate = 4): FloatImage {
  return blurWithKernel(img, gaussianKernel(sigma, truncate), mode);
}

/** Separable blur by a symmetric normalised kernel; long ones go through box passes of equal variance. */
export function blurWithKernel(img: FloatImage, k: Float32Array, mode: Border): FloatImage {
  if (k.length <= MAX_EXACT_GAUSSIAN_TAPS) return convolveSeparable(img, k, k, mode);
  const r = (k.length - 1) / 2;
  let variance = 0;
  for (let i = 0; i < k.length; i++) variance += k[i] * (i - r) ** 2;
  return approxGaussianBlur(img, Math.sqrt(variance), mode);
}

/** Three successive box blurs whose summed variance is sigma^2 (widths as in Kovesi's "boxes for gauss"). */
export function approxGaussianBlur(img: FloatImage, sigma: number, mode: Border): FloatImage {
  const passes = 3;
  const ideal = Math.sqrt((12 * sigma * sigma) / passes + 1);
  let lower = Math.floor(ideal);
  if (lower % 2 === 0) lower--;
  const upper = lower + 2;
  // How many passes use the lower width so that the variances add up to sigma^2.
  const m = Math.round((12 * sigma * sigma - passes * lower * lower - 4 * passes * lower - 3 * passes) / (-4 * lower - 4));
  let out = img;
  for (let i = 0; i < passes; i++) {
    const r = ((i < m ? lower : upper) - 1) / 2;
    out = boxBlurColumns(boxBlurRows(out, r, mode), r, mode);
  }
  return out;
}

function boxBlurRows(img: FloatImage, r: number, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const out = createFloat(w, h, c);
  const padded = w + 2 * r;
  const row = new Float32Array(padded * c);
  const colMap = new Int32Array(padded);
  for (let x = 0; x < padded; x++) colMap[x] = borderIndex(x - r, w, mode);
  const inv = 1 / (2 * r + 1);
  const sums = new Float64Array(c);
  for (let y = 0; y < h; y++) {
    const base = y * w * c;
    for (let x = 0; x < padded; x++) {
      const s = base + colMap[x] * c;
      for (let ch = 0; ch < c; ch++) row[x * c + ch] = img.data[s + ch];
    }
    sums.fill(0);
    for (let x = 0; x < 2 * r + 1; x++) for (let ch = 0; ch < c; ch++) sums[ch] += row[x * c + ch];
    for (let x = 0; x < w; x++) {
      for (let ch = 0; ch < c; ch++) {
        out.data[base + x * c + ch] = sums[ch] * inv;
        if (x + 1 < w) sums[ch] += row[(x + 2 * r + 1) * c + ch] - row[x * c + ch];
      }
    }
  }
  return out;
}

function boxBlurColumns(img: FloatImage, r: number, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const rowLen = w * c;
  const out = createFloat(w, h, c);
  const sums = new Float64Array(rowLen);
  const inv = 1 / (2 * r + 1);
  for (let t = -r; t <= r; t++) {
    const s = borderIndex(t, h, mode) * rowLen;
    for (let i = 0; i < rowLen; i++) sums[i] += img.data[s + i];
  }
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) out.data[o + i] = sums[i] * inv;
    if (y + 1 < h) {
      const enter = borderIndex(y + r + 1, h, mode) * rowLen;
      const leave = borderIndex(y - r, h, mode) * rowLen;
      for (let i = 0; i < rowLen; i++) sums[i] += img.data[enter + i] - img.data[leave + i];
    }
  }
  return out;
}

/**
 * Mean over a flat disk {dx^2 + dy^2 <= radius^2} (the aliased disk of the originals' defocus).
 * Each disk row is a horizontal run, so per-row prefix sums make this O(diameter) per pixel.
 */
export function diskBlur(img: FloatImage, radius: number, mode: Border): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const R = Math.floor(radius);
  const halfWidths: number[] = [];
  let count = 0;
  for (let dy = -R; dy <= R; dy++) {
    const hw = Math.floor(Math.sqrt(Math.max(0, radius * radius - dy * dy)) + 1e-9);
    halfWidths.push(hw);
    count += 2 * hw + 1;
  }
  if (count === 1) return { ...img, data: img.data.slice() };
  const padded = padImage(img, R, mode);
  const pw = padded.width;
  const ph = padded.height;
  const stride = (pw + 1) * c;
  const prefix = new Float64Array(ph * stride);
  for (let y = 0; y < ph; y++) {
    const prow = y * stride;
    const srow = y * pw * c;
    for (let i = 0; i < pw * c; i++) prefix[prow + c + i] = prefix[prow + i] + padded.data[srow + i];
  }
  const out = createFloat(w, h, c);
  const od = out.data;
  const rowLen = w * c;
  for (let y = 0; y < h; y++) {
    const o = y * rowLen;
    for (let j = 0; j < halfWidths.length; j++) {
      const hw = halfWidths[j];
      const prow = (y + j) * stride; // padded row y + R + (j - R)
      const hi = prow + (R + hw + 1) * c; // prefix index of column x + hw + 1, at x = 0
      const lo = prow + (R - hw) * c; // prefix index of column x - hw, at x = 0
      for (let i = 0; i < rowLen; i++) od[o + i] += prefix[hi + i] - prefix[lo + i];
    }
  }
  const inv = 1 / count;
  for (let i = 0; i < od.length; i++) od[i] *= inv;
  return out;
}

/** Line kernels up to this many taps are applied exactly. */
const MAX_EXACT_MOTION_TAPS = 32;

interface LineTap {
  distance: number;
  weight: number;
}

/**
 * ImageMagick-style motion blur: a one-sided line kernel of 2*ceil(radius)+1 taps with weights
 * exp(-i^2 / 2 sigma^2), tap i sampled at the nearest pixel i steps along `angleDeg`, edges clamped.
 * Taps below 1e-4 of the first weight are dropped. Longer kernels (never at 32x32) run in two
 * passes: a flat box of g taps, then one tap per run of g carrying the run's total weight, which
 * replaces the gaussian by a staircase of step g ~ sqrt(taps) at a fraction of the cost.
 */
export function motionBlur(img: FloatImage, radius: number, sigma: number, angleDeg: number): FloatImage {
  const weights = lineWeights(radius, sigma);
  const a = (angleDeg * Math.PI) / 180;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  if (weights.length <= MAX_EXACT_MOTION_TAPS) {
    return applyLineTaps(img, weights.map((weight, distance) => ({ distance, weight })), cos, sin);
  }
  const g = Math.ceil(Math.sqrt(weights.length));
  const box: LineTap[] = Array.from({ length: g }, (_, distance) => ({ distance, weight: 1 / g }));
  const runs: LineTap[] = [];
  for (let start = 0; start < weights.length; start += g) {
    let weight = 0;
    for (let i = start; i < Math.min(weights.length, start + g); i++) weight += weights[i];
    runs.push({ distance: start, weight });
  }
  return applyLineTaps(applyLineTaps(img, box, cos, sin), runs, cos, sin);
}

/** Normalised one-sided gaussian weights, index = distance in pixels. */
function lineWeights(radius: number, sigma: number): number[] {
  const width = 2 * Math.ceil(radius) + 1;
  const weights: number[] = [];
  for (let i = 0; i < width; i++) {
    const v = sigma > 0 ? Math.exp((-i * i) / (2 * sigma * sigma)) : i === 0 ? 1 : 0;
    if (v < 1e-4) break;
    weights.push(v);
  }
  const total = weights.reduce((x, y) => x + y, 0);
  return weights.map((v) => v / total);
}

/** Sum of copies shifted by each tap's distance along (cos, sin), rounded to whole pixels, edges clamped. */
function applyLineTaps(img: FloatImage, taps: LineTap[], cos: number, sin: number): FloatImage {
  const { width: w, height: h, channels: c } = img;
  const out = createFloat(w, h, c);
  const sd = img.data;
  const od = out.data;
  const rowLen = w * c;
  for (const { distance, weight: kw } of taps) {
    const ox = Math.ceil(distance * cos - 0.5);
    const oy = Math.ceil(distance * sin - 0.5);
    // Columns whose shifted source is inside the image; the rest read the clamped edge pixel.
    const xStart = Math.min(w, Math.max(0, -ox));
    const xEnd = Math.max(xStart, Math.min(w, w - ox));
    const shift = ox * c;
    for (let y = 0; y < h; y++) {
      const sy = Math.min(h - 1, Math.max(0, y + oy)) * rowLen;
      const o = y * rowLen;
      for (let x = 0; x < xStart; x++) for (let ch = 0; ch < c; ch++) od[o + x * c + ch] += kw * sd[sy + ch];
      for (let i = xStart * c; i < xEnd * c; i++) od[o + i] += kw * sd[sy + i + shift];
      const last = sy + (w - 1) * c;
      for (let x = xEnd; x < w; x++) for (let ch = 0; ch < c; ch++) od[o + x * c + ch] += kw * sd[last + ch];
    }
  }
  return out;
}
