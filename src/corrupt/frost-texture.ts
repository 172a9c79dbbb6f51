/**
 * Procedural stand-in for the frost photographs the originals blend in (frost1-6.png/jpg, shrunk
 * to 20% and cropped): a cloudy pale-blue ice film plus fern-like ice crystals (a stem with
 * tapering side branches at about +-60 degrees). Sizes are in base-grid pixels (32 on the short
 * side) times the frame scale, so the crystals keep their size relative to the frame.
 */
import { gaussianBlur } from './filters.js';
import { type FloatImage, createFloat, zoomCentered } from './image.js';
import { plasmaLayer } from './plasma.js';
import type { Rng } from './prng.js';
import type { FrameScale } from './scale.js';

/** Ice tint: frost photos are grey-white with a slight blue cast. */
const TINT = [0.86, 0.94, 1.0] as const;
/** Crystals per base-grid pixel (about 34 on a 32x32 image). */
const CRYSTAL_DENSITY = 1 / 30;

/** Frost layer, 3 channels, values in [0, 1], mean around 0.45. */
export function frostTexture(width: number, height: number, rng: Rng, scale: FrameScale): FloatImage {
  const ice = new Float32Array(width * height);
  addCloudyFilm(ice, width, height, rng, scale);
  const crystals = new Float32Array(width * height);
  const count = Math.max(4, Math.round(scale.baseWidth * scale.baseHeight * CRYSTAL_DENSITY));
  for (let i = 0; i < count; i++) drawCrystal(crystals, width, height, rng, scale.s);
  for (let i = 0; i < ice.length; i++) ice[i] = Math.min(1, ice[i] + crystals[i]);
  // A touch of blur: the photos are out of focus at the crystal edges.
  const soft = gaussianBlur({ width, height, channels: 1, data: ice }, 0.35 * scale.s);
  const out = createFloat(width, height, 3);
  for (let p = 0; p < width * height; p++) {
    const v = soft.data[p];
    for (let ch = 0; ch < 3; ch++) out.data[p * 3 + ch] = v * TINT[ch];
  }
  return out;
}

/** Low-contrast plasma film, 0.18..0.58. */
function addCloudyFilm(ice: Float32Array, width: number, height: number, rng: Rng, scale: FrameScale): void {
  const base = plasmaLayer(scale.baseWidth, scale.baseHeight, 2, rng);
  const film = zoomCentered(base, width, height, 1);
  for (let i = 0; i < ice.length; i++) ice[i] = 0.18 + 0.4 * film.data[i];
}

function drawCrystal(layer: Float32Array, width: number, height: number, rng: Rng, s: number): void {
  const x0 = rng.uniform(0, width);
  const y0 = rng.uniform(0, height);
  const angle = rng.uniform(0, 2 * Math.PI);
  const length = rng.uniform(5, 15) * s;
  const brightness = rng.uniform(0.35, 0.75);
  const halfWidth = Math.max(0.7, 0.45 * s);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  drawSegment(layer, width, height, x0, y0, x0 + dx * length, y0 + dy * length, halfWidth, brightness);
  // Side branches shrink towards the tip, alternating sides, like a fern.
  const branches = Math.max(2, Math.round(length / (2 * s)));
  for (let b = 1; b <= branches; b++) {
    const t = b / (branches + 1);
    const bx = x0 + dx * length * t;
    const by = y0 + dy * length * t;
    const side = b % 2 === 0 ? 1 : -1;
    const branchAngle = angle + side * rng.uniform(0.9, 1.2);
    const branchLength = length * 0.45 * (1 - t) * rng.uniform(0.6, 1);
    drawSegment(
      layer, width, height, bx, by,
      bx + Math.cos(branchAngle) * branchLength, by + Math.sin(branchAngle) * branchLength,
      halfWidth * 0.8, brightness * 0.8,
    );
  }
}

/** Soft line: intensity falls linearly to 0 at `halfWidth` from the segment; max-blended. */
function drawSegment(
  layer: Float32Array, width: number, height: number,
  ax: number, ay: number, bx: number, by: number, halfWidth: number, intensity: number,
): void {
  const xMin = Math.max(0, Math.floor(Math.min(ax, bx) - halfWidth));
  const xMax = Math.min(width - 1, Math.ceil(Math.max(ax, bx) + halfWidth));
  const yMin = Math.max(0, Math.floor(Math.min(ay, by) - halfWidth));
  const yMax = Math.min(height - 1, Math.ceil(Math.max(ay, by) + halfWidth));
  const vx = bx - ax;
  const vy = by - ay;
  const len2 = vx * vx + vy * vy || 1;
  const hw2 = halfWidth * halfWidth;
  for (let y = yMin; y <= yMax; y++) {
    for (let x = xMin; x <= xMax; x++) {
      const px = x + 0.5 - ax;
      const py = y + 0.5 - ay;
      const t = Math.min(1, Math.max(0, (px * vx + py * vy) / len2));
      const ex = px - t * vx;
      const ey = py - t * vy;
      const d2 = ex * ex + ey * ey;
      if (d2 >= hw2) continue;
      const v = intensity * (1 - Math.sqrt(d2) / halfWidth);
      const i = y * width + x;
      if (v > layer[i]) layer[i] = v;
    }
  }
}
