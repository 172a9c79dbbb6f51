/** Dispatch: validates arguments, converts to float, applies one corruption, converts back. */
import { defocusBlur, gaussianBlurCorruption, glassBlur, motionBlurCorruption, zoomBlur } from './blur.js';
import { brightness, contrast, saturate } from './color.js';
import { elasticTransform, jpegCompression, pixelate } from './digital.js';
import { type FloatImage, fromRgb, toRgbBytes } from './image.js';
import { gaussianNoise, impulseNoise, shotNoise, speckleNoise } from './noise.js';
import { Rng } from './prng.js';
import { type FrameScale, frameScale } from './scale.js';
import { spatter } from './spatter.js';
import { type CorruptionType, CorruptionError, type RgbImage, type Severity, isCorruptionType, isSeverity } from './types.js';
import { fog, frost, snow } from './weather.js';

/** Pixel-math corruptions answer at once; jpeg_compression waits for libjpeg (off the event loop). */
type Corruptor = (img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale) => FloatImage | Promise<FloatImage>;

const CORRUPTORS: Record<CorruptionType, Corruptor> = {
  gaussian_noise: gaussianNoise,
  shot_noise: shotNoise,
  impulse_noise: impulseNoise,
  defocus_blur: defocusBlur,
  glass_blur: glassBlur,
  motion_blur: motionBlurCorruption,
  zoom_blur: zoomBlur,
  snow,
  frost,
  fog,
  brightness,
  contrast,
  elastic_transform: elasticTransform,
  pixelate,
  jpeg_compression: jpegCompression,
  speckle_noise: speckleNoise,
  gaussian_blur: gaussianBlurCorruption,
  spatter,
  saturate,
};

/**
 * Resolves a new width*height*3 buffer with `type` applied at `severity`. Spatial parameters are
 * CIFAR's (32x32) scaled by min(width, height) / 32. Rejects with CorruptionError on bad arguments.
 * Asynchronous because jpeg_compression runs libjpeg on libuv's threads; the others compute at once.
 */
export async function corrupt(image: RgbImage, type: CorruptionType, severity: Severity, seed: number): Promise<Uint8Array> {
  validateImage(image);
  if (typeof type !== 'string' || !isCorruptionType(type)) {
    throw new CorruptionError(`unknown corruption type '${String(type)}'`, 'type');
  }
  if (!isSeverity(severity)) {
    throw new CorruptionError(`bad severity '${String(severity)}'; severity is an integer from 1 to 5`, 'severity');
  }
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw new CorruptionError(`seed must be a finite number, got ${String(seed)}`, 'seed');
  }
  // Salting with the type keeps e.g. gaussian and speckle noise from sharing a pattern for one seed.
  const rng = new Rng(seed, type);
  const result = await CORRUPTORS[type](fromRgb(image), severity, rng, frameScale(image.width, image.height));
  return toRgbBytes(result);
}

function validateImage(image: RgbImage): void {
  const { width, height, data } = image ?? ({} as RgbImage);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new CorruptionError(`image size must be positive integers, got ${String(width)}x${String(height)}`, 'image');
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : 'no Uint8Array';
    throw new CorruptionError(`image data must be packed rgb24 of ${width * height * 3} bytes, got ${got}`, 'image');
  }
}
