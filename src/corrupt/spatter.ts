/**
 * Spatter (extra validation corruption): a thresholded, smoothed noise "liquid" layer, on the base
 * grid. Severities 1-3 are water: the liquid's edges (Canny) feed a distance map that is equalised
 * and embossed into a ripple texture, added in pale turquoise. Severities 4-5 are mud: the liquid
 * mask is smoothed, cut at 0.8 and pasted in dark brown. The masks are upsampled to the frame.
 */
import { convolveSeparable, gaussianBlur } from './filters.js';
import { type FloatImage, borderIndex, createFloat, zoomCentered } from './image.js';
import { SPATTER } from './params.js';
import type { Rng } from './prng.js';
import type { FrameScale } from './scale.js';
import type { Severity } from './types.js';

const WATER = [175 / 255, 238 / 255, 238 / 255] as const;
const MUD = [63 / 255, 42 / 255, 20 / 255] as const;

export function spatter(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [mean, std, blurSigma, threshold, strength, isMud] = SPATTER[severity - 1];
  const bw = scale.baseWidth;
  const bh = scale.baseHeight;
  const noise = createFloat(bw, bh, 1);
  for (let i = 0; i < noise.data.length; i++) noise.data[i] = mean + std * rng.normal();
  const liquid = gaussianBlur(noise, blurSigma);
  for (let i = 0; i < liquid.data.length; i++) if (liquid.data[i] < threshold) liquid.data[i] = 0;
  const out = createFloat(img.width, img.height, 3);
  if (isMud) {
    const mask = createFloat(bw, bh, 1);
    for (let i = 0; i < mask.data.length; i++) mask.data[i] = liquid.data[i] > threshold ? 1 : 0;
    const m = zoomCentered(gaussianBlur(mask, strength), img.width, img.height, 1).data;
    for (let p = 0; p < m.length; p++) {
      const a = m[p] < 0.8 ? 0 : m[p];
      for (let ch = 0; ch < 3; ch++) out.data[p * 3 + ch] = img.data[p * 3 + ch] * (1 - a) + MUD[ch] * a;
    }
    return out;
  }
  const ripple = rippleTexture(liquid);
  let max = 0;
  for (let i = 0; i < ripple.length; i++) {
    ripple[i] *= liquid.data[i];
    if (ripple[i] > max) max = ripple[i];
  }
  const small = createFloat(bw, bh, 1);
  for (let i = 0; i < ripple.length; i++) small.data[i] = max > 0 ? (ripple[i] / max) * strength : 0;
  const m = zoomCentered(small, img.width, img.height, 1).data;
  for (let p = 0; p < m.length; p++) {
    for (let ch = 0; ch < 3; ch++) out.data[p * 3 + ch] = img.data[p * 3 + ch] + m[p] * WATER[ch];
  }
  return out;
}

/** Edge distance (capped at 20), 3x3 mean, histogram-equalised, embossed, 3x3 mean; 0..255 floats. */
function rippleTexture(liquid: FloatImage): Float32Array {
  const { width: w, height: h } = liquid;
  const bytes = new Uint8Array(w * h);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.min(255, Math.max(0, Math.floor(liquid.data[i] * 255)));
  const edges = canny(bytes, w, h, 50, 150);
  const dist = distanceToEdges(edges, w, h);
  const capped = createFloat(w, h, 1);
  for (let i = 0; i < dist.length; i++) capped.data[i] = Math.min(20, dist[i]);
  const third = Float32Array.of(1 / 3, 1 / 3, 1 / 3);
  const smoothed = convolveSeparable(capped, third, third, 'mirror');
  const eq = equalizeHistogram(Uint8Array.from(smoothed.data, (v) => Math.floor(v)));
  const embossed = createFloat(w, h, 1);
  const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let ky = 0; ky < 3; ky++) {
        const sy = borderIndex(y + ky - 1, h, 'mirror');
        for (let kx = 0; kx < 3; kx++) s += EMBOSS[ky * 3 + kx] * eq[sy * w + borderIndex(x + kx - 1, w, 'mirror')];
      }
      embossed.data[y * w + x] = Math.min(255, Math.max(0, Math.round(s)));
    }
  }
  return convolveSeparable(embossed, third, third, 'mirror').data;
}

/** Canny edge map (1 = edge): 3x3 Sobel, L1 magnitude, non-maximum suppression, hysteresis. */
export function canny(img: Uint8Array, w: number, h: number, low: number, high: number): Uint8Array {
  const mag = new Float32Array(w * h);
  const dir = new Uint8Array(w * h); // 0: horizontal gradient, 1: 45deg, 2: vertical, 3: 135deg
  const at = (x: number, y: number): number => img[borderIndex(y, h, 'mirror') * w + borderIndex(x, w, 'mirror')];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      const p = y * w + x;
      mag[p] = Math.abs(gx) + Math.abs(gy);
      const angle = ((Math.atan2(gy, gx) * 180) / Math.PI + 180) % 180;
      dir[p] = angle < 22.5 || angle >= 157.5 ? 0 : angle < 67.5 ? 1 : angle < 112.5 ? 2 : 3;
    }
  }
  const STEP = [
    [1, 0],
    [1, 1],
    [0, 1],
    [-1, 1],
  ];
  const magAt = (x: number, y: number): number => (x < 0 || y < 0 || x >= w || y >= h ? 0 : mag[y * w + x]);
  const state = new Uint8Array(w * h); // 0 none, 1 weak, 2 strong
  const stack: number[] = [];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const m = mag[p];
      if (m <= low) continue;
      const [sx, sy] = STEP[dir[p]];
      if (m <= magAt(x - sx, y - sy) || m < magAt(x + sx, y + sy)) continue;
      state[p] = m > high ? 2 : 1;
      if (state[p] === 2) stack.push(p);
    }
  }
  const edges = new Uint8Array(w * h);
  while (stack.length > 0) {
    const p = stack.pop() as number;
    if (edges[p]) continue;
    edges[p] = 1;
    const x = p % w;
    const y = (p - x) / w;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
        const q = ny * w + nx;
        if (state[q] > 0 && !edges[q]) stack.push(q);
      }
    }
  }
  return edges;
}

/** Chamfer (5x5 mask: 1, 1.4, 2.1969) approximation of the euclidean distance to the nearest edge. */
export function distanceToEdges(edges: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = edges[i] ? 0 : INF;
  const forward: Array<[number, number, number]> = [
    [-1, 0, 1], [0, -1, 1], [-1, -1, 1.4], [1, -1, 1.4],
    [-2, -1, 2.1969], [-1, -2, 2.1969], [1, -2, 2.1969], [2, -1, 2.1969],
  ];
  const pass = (ys: number[], xs: number[], sign: number): void => {
    for (const y of ys) {
      for (const x of xs) {
        let best = d[y * w + x];
        for (const [dx, dy, cost] of forward) {
          const nx = x + sign * dx;
          const ny = y + sign * dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const v = d[ny * w + nx] + cost;
          if (v < best) best = v;
        }
        d[y * w + x] = best;
      }
    }
  };
  const rows = [...Array(h).keys()];
  const cols = [...Array(w).keys()];
  pass(rows, cols, 1);
  pass(rows.reverse(), cols.reverse(), -1);
  return d;
}

/** OpenCV-style equalizeHist: the lowest used level maps to 0, the cumulative histogram spreads the rest to 255. */
export function equalizeHistogram(img: Uint8Array): Uint8Array {
  const hist = new Uint32Array(256);
  for (const v of img) hist[v]++;
  let first = 0;
  while (first < 255 && hist[first] === 0) first++;
  const total = img.length;
  if (hist[first] === total) return new Uint8Array(total).fill(first);
  const scale = 255 / (total - hist[first]);
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let i = first + 1; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.round(sum * scale));
  }
  return img.map((v) => lut[v]);
}
