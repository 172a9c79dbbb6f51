/** Blur family: defocus, glass, motion, zoom, and the extra gaussian blur. */
import { blurWithKernel, diskBlur, gaussianBlur, gaussianKernelWithRadius, motionBlur } from './filters.js';
import { type FloatImage, createFloat, zoomCentered } from './image.js';
import { DEFOCUS_BLUR, GAUSSIAN_BLUR, GLASS_BLUR, MOTION_BLUR, ZOOM_BLUR_COUNT, ZOOM_BLUR_STEP } from './params.js';
import type { Rng } from './prng.js';
import type { FrameScale } from './scale.js';
import type { Severity } from './types.js';

/**
 * Flat disk of radius r, anti-aliased by a gaussian in a 3x3 window (window scaled with the frame),
 * both with OpenCV's default mirrored border.
 */
export function defocusBlur(img: FloatImage, severity: Severity, _rng: Rng, scale: FrameScale): FloatImage {
  const [radius, aliasSigma] = DEFOCUS_BLUR[severity - 1];
  const disked = diskBlur(img, radius * scale.s, 'mirror');
  const k = gaussianKernelWithRadius(aliasSigma * scale.s, Math.max(1, Math.round(scale.s)));
  return blurWithKernel(disked, k, 'mirror');
}

/**
 * Gaussian blur, then a sequential sweep (bottom-right to top-left) swapping each pixel with one
 * at offset (dy, dx) drawn from [-d, d) (numpy randint excludes d, so at 32x32 only -1 or 0),
 * then blur again. Sequential swaps let a pixel travel several steps: that is the glassy look.
 */
export function glassBlur(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [sigma, maxDelta, passes] = GLASS_BLUR[severity - 1];
  const d = Math.max(1, Math.round(maxDelta * scale.s));
  const x = gaussianBlur(img, sigma * scale.s);
  const { width: w, height: h, channels: c } = x;
  const px = x.data;
  for (let pass = 0; pass < passes; pass++) {
    for (let row = h - d; row > d; row--) {
      for (let col = w - d; col > d; col--) {
        const dx = rng.int(-d, d);
        const dy = rng.int(-d, d);
        const a = (row * w + col) * c;
        const b = ((row + dy) * w + (col + dx)) * c;
        for (let ch = 0; ch < c; ch++) {
          const t = px[a + ch];
          px[a + ch] = px[b + ch];
          px[b + ch] = t;
        }
      }
    }
  }
  return gaussianBlur(x, sigma * scale.s);
}

export function motionBlurCorruption(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [radius, sigma] = MOTION_BLUR[severity - 1];
  const angle = rng.uniform(-45, 45);
  return motionBlur(img, radius * scale.s, sigma * scale.s, angle);
}

/** Mean of the image and its centre zooms by 1, 1.01, 1.02, ... (zoom is scale-free). */
export function zoomBlur(img: FloatImage, severity: Severity): FloatImage {
  const count = ZOOM_BLUR_COUNT[severity - 1];
  const acc = createFloat(img.width, img.height, img.channels);
  acc.data.set(img.data);
  for (let i = 0; i < count; i++) zoomCentered(img, img.width, img.height, 1 + i * ZOOM_BLUR_STEP, acc);
  const inv = 1 / (count + 1);
  for (let i = 0; i < acc.data.length; i++) acc.data[i] *= inv;
  return acc;
}

export function gaussianBlurCorruption(img: FloatImage, severity: Severity, _rng: Rng, scale: FrameScale): FloatImage {
  return gaussianBlur(img, GAUSSIAN_BLUR[severity - 1] * scale.s);
}
