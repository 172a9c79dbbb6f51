/**
 * Per-severity constants of CIFAR-10-C, as read from Hendrycks' generation script
 * (github hendrycks/robustness, ImageNet-C/create_c/make_cifar_c.py). Index 0 is severity 1.
 * All spatial values are in pixels of a 32x32 image; `scale.ts` stretches them for larger frames.
 * They differ from the ImageNet-C (224px) values on purpose: do not mix the two tables.
 */

/** Additive N(0, c) noise on [0,1] values. */
export const GAUSSIAN_NOISE = [0.04, 0.06, 0.08, 0.09, 0.1] as const;
/** Poisson rate multiplier: out = Poisson(x * c) / c. Lower = noisier. */
export const SHOT_NOISE = [500, 250, 100, 75, 50] as const;
/** Salt-and-pepper amount: probability that a channel value is flipped to 0 or 1. */
export const IMPULSE_NOISE = [0.01, 0.02, 0.03, 0.05, 0.07] as const;
/** Multiplicative noise: x + x * N(0, c). */
export const SPECKLE_NOISE = [0.06, 0.1, 0.12, 0.16, 0.2] as const;

/** Gaussian sigma (px). */
export const GAUSSIAN_BLUR = [0.4, 0.6, 0.7, 0.8, 1] as const;
/** [disk radius px, anti-alias gaussian sigma px]. */
export const DEFOCUS_BLUR = [
  [0.3, 0.4],
  [0.4, 0.5],
  [0.5, 0.6],
  [1, 0.2],
  [1.5, 0.1],
] as const;
/** [gaussian sigma px, max swap distance px, swap passes]. */
export const GLASS_BLUR = [
  [0.05, 1, 1],
  [0.25, 1, 1],
  [0.4, 1, 1],
  [0.25, 1, 2],
  [0.4, 1, 2],
] as const;
/** ImageMagick motion blur [radius px, sigma px]; angle ~ U(-45, 45) degrees. */
export const MOTION_BLUR = [
  [6, 1],
  [6, 1.5],
  [6, 2],
  [8, 2],
  [9, 2.5],
] as const;
/**
 * Number of zoom factors 1, 1.01, 1.02, ... averaged. The script writes np.arange(1, 1.06, 0.01),
 * (1, 1.11), (1, 1.16), (1, 1.21), (1, 1.26); float rounding makes those 7, 12, 16, 21 and 26
 * factors (the first two include their nominal stop), so the counts are spelled out here.
 */
export const ZOOM_BLUR_COUNT = [7, 12, 16, 21, 26] as const;
export const ZOOM_BLUR_STEP = 0.01;

/**
 * Snow: [noise mean, noise std, zoom, threshold, blur radius px, blur sigma px, image keep weight];
 * streak angle ~ U(-135, -45) degrees.
 */
export const SNOW = [
  [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
  [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
  [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
  [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
  [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
] as const;
/** Frost: [image weight, frost texture weight]. */
export const FROST = [
  [1, 0.2],
  [1, 0.3],
  [0.9, 0.4],
  [0.85, 0.4],
  [0.75, 0.45],
] as const;
/** Fog: [fog strength, plasma wibble decay]. */
export const FOG = [
  [0.2, 3],
  [0.5, 3],
  [0.75, 2.5],
  [1, 2],
  [1.5, 1.75],
] as const;
/** Added to HSV value. */
export const BRIGHTNESS = [0.05, 0.1, 0.15, 0.2, 0.3] as const;
/**
 * Spatter: [liquid mean, liquid std, liquid blur sigma px, threshold, intensity (water) or mud
 * blur sigma px, 0 = water / 1 = mud].
 */
export const SPATTER = [
  [0.62, 0.1, 0.7, 0.7, 0.5, 0],
  [0.65, 0.1, 0.8, 0.7, 0.5, 0],
  [0.65, 0.3, 1, 0.69, 0.5, 0],
  [0.65, 0.1, 0.7, 0.69, 0.6, 1],
  [0.65, 0.1, 0.5, 0.68, 0.6, 1],
] as const;

/** Contrast factor around the per-channel mean. */
export const CONTRAST = [0.75, 0.5, 0.4, 0.3, 0.15] as const;
/**
 * Elastic: [displacement alpha px, displacement smoothing sigma px, affine jitter px]
 * (the script writes them as IMSIZE * fraction with IMSIZE = 32).
 */
export const ELASTIC = [
  [32 * 0, 32 * 0, 32 * 0.08],
  [32 * 0.05, 32 * 0.2, 32 * 0.07],
  [32 * 0.08, 32 * 0.06, 32 * 0.06],
  [32 * 0.1, 32 * 0.04, 32 * 0.05],
  [32 * 0.1, 32 * 0.03, 32 * 0.03],
] as const;
/** Box-downscale factor before upscaling back. */
export const PIXELATE = [0.95, 0.9, 0.85, 0.75, 0.65] as const;
/** JPEG quality (IJG scale). */
export const JPEG_QUALITY = [80, 65, 58, 50, 40] as const;
/** Saturate: HSV saturation * a + b. */
export const SATURATE = [
  [0.3, 0],
  [0.1, 0],
  [1.5, 0],
  [2, 0.1],
  [2.5, 0.2],
] as const;
