/** Weather family: snow, frost, fog (brightness lives in color.ts). */
import { motionBlur } from './filters.js';
import { frostTexture } from './frost-texture.js';
import { type FloatImage, createFloat, grayOf, zoomCentered } from './image.js';
import { FOG, FROST, SNOW } from './params.js';
import { plasmaLayer } from './plasma.js';
import type { Rng } from './prng.js';
import type { FrameScale } from './scale.js';
import type { Severity } from './types.js';

/**
 * Snow: a normal-noise layer (drawn on the base grid) is zoomed, thresholded into flakes and
 * motion-blurred into falling streaks; the image is greyed/brightened a little and the streak layer
 * is added twice (once rotated 180 degrees).
 */
export function snow(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [mean, std, zoom, threshold, blurRadius, blurSigma, keep] = SNOW[severity - 1];
  const { width: w, height: h } = img;
  const noise = createFloat(scale.baseWidth, scale.baseHeight, 1);
  for (let i = 0; i < noise.data.length; i++) noise.data[i] = mean + std * rng.normal();
  const flakes = zoomCentered(noise, w, h, zoom);
  for (let i = 0; i < flakes.data.length; i++) {
    const v = flakes.data[i];
    flakes.data[i] = v < threshold ? 0 : Math.min(1, v);
  }
  const angle = rng.uniform(-135, -45);
  const streaks = motionBlur(flakes, blurRadius * scale.s, blurSigma * scale.s, angle).data;

  const gray = grayOf(img);
  const out = createFloat(w, h, 3);
  const n = w * h;
  for (let p = 0; p < n; p++) {
    const lifted = gray[p] * 1.5 + 0.5;
    const layer = streaks[p] + streaks[n - 1 - p]; // n-1-p: the same pixel rotated by 180 degrees
    for (let ch = 0; ch < 3; ch++) {
      const x = img.data[p * 3 + ch];
      out.data[p * 3 + ch] = keep * x + (1 - keep) * Math.max(x, lifted) + layer;
    }
  }
  return out;
}

/** Frost: img * a + texture * b (the texture is procedural, see frost-texture.ts). */
export function frost(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [imageWeight, frostWeight] = FROST[severity - 1];
  const tex = frostTexture(img.width, img.height, rng, scale);
  const out = createFloat(img.width, img.height, 3);
  for (let i = 0; i < out.data.length; i++) out.data[i] = imageWeight * img.data[i] + frostWeight * tex.data[i];
  return out;
}

/**
 * Fog: add strength * plasma fractal (grey), then rescale by max / (max + strength) so the
 * brightest input value stays about where it was while contrast drops.
 */
export function fog(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [strength, decay] = FOG[severity - 1];
  const base = plasmaLayer(scale.baseWidth, scale.baseHeight, decay, rng);
  const haze = zoomCentered(base, img.width, img.height, 1).data;
  let maxVal = 0;
  for (const v of img.data) if (v > maxVal) maxVal = v;
  const k = maxVal / (maxVal + strength);
  const out = createFloat(img.width, img.height, 3);
  for (let p = 0; p < haze.length; p++) {
    const add = strength * haze[p];
    for (let ch = 0; ch < 3; ch++) out.data[p * 3 + ch] = (img.data[p * 3 + ch] + add) * k;
  }
  return out;
}
