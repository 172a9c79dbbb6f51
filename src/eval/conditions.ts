/**
 * What the benchmark measures, one row each: a condition names itself and supplies, for a range of
 * test images, the frames' pixels. Either corrupted here from the clean images (src/corrupt, the
 * default), or read as they are from files made elsewhere (`eval --images`, image-folder.ts).
 */
import { corrupt, type CorruptionType, type Severity } from '../corrupt/index.js';
import type { Cifar10Set } from '../data/cifar10.js';

export interface EvalCondition {
  /** The row's name: 'clean' or a corruption ('fog', ...). */
  name: string;
  /** Frame.meta.corruption for its frames ('fog:5', or 'fog' for images given as files); none for clean. */
  tag?: string;
  /** Packed rgb24 32x32 images number start..end-1, in order. */
  images(start: number, end: number): Promise<Uint8Array[]>;
}

/** The uncorrupted test images. */
export function cleanCondition(dataset: Cifar10Set): EvalCondition {
  return { name: 'clean', images: async (start, end) => dataset.images.slice(start, end) };
}

/** Images given as they are (already corrupted elsewhere), one per clean image. */
export function givenCondition(name: string, images: readonly Uint8Array[]): EvalCondition {
  return { name, tag: name, images: async (start, end) => images.slice(start, end) };
}

/**
 * The corruption seed of image `index`: a fixed function of (seed, index), so a given image gets
 * the same corruption whatever the limit, batch size or run. Unique for index < 2^20.
 */
export function imageSeed(seed: number, index: number): number {
  return seed * 2 ** 20 + index;
}

/**
 * Each clean image corrupted at its native 32x32 with `type` at `severity`, one seed per image
 * index. The images of a range are corrupted concurrently (jpeg_compression's libjpeg runs on
 * libuv's threads).
 */
export function corruptedCondition(dataset: Cifar10Set, type: CorruptionType, severity: Severity, seed: number): EvalCondition {
  return {
    name: type,
    tag: `${type}:${severity}`,
    images: (start, end) =>
      Promise.all(
        dataset.images.slice(start, end).map((clean, i) => corrupt({ width: 32, height: 32, data: clean }, type, severity, imageSeed(seed, start + i))),
      ),
  };
}
