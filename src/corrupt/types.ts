/** Shared shapes for the corruption module. */

export type { RgbImage } from '../image/rgb-image.js';

export type Severity = 1 | 2 | 3 | 4 | 5;

/** The 15 CIFAR-10-C / ImageNet-C test corruptions, in the benchmark's canonical order. */
export const CORRUPTION_TYPES = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
] as const;

/** The 4 held-out "validation" corruptions of Hendrycks & Dietterich (not part of the 15). */
export const EXTRA_CORRUPTION_TYPES = ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'] as const;

export type StandardCorruptionType = (typeof CORRUPTION_TYPES)[number];
export type ExtraCorruptionType = (typeof EXTRA_CORRUPTION_TYPES)[number];
export type CorruptionType = StandardCorruptionType | ExtraCorruptionType;

export const ALL_CORRUPTION_TYPES: readonly CorruptionType[] = [...CORRUPTION_TYPES, ...EXTRA_CORRUPTION_TYPES];

export const SEVERITIES: readonly Severity[] = [1, 2, 3, 4, 5];

export function isCorruptionType(name: string): name is CorruptionType {
  return (ALL_CORRUPTION_TYPES as readonly string[]).includes(name);
}

export function isSeverity(n: unknown): n is Severity {
  return n === 1 || n === 2 || n === 3 || n === 4 || n === 5;
}

/** Which part of a request was wrong. */
export type CorruptionErrorPart = 'spec' | 'type' | 'severity' | 'seed' | 'image' | 'period';

/** Thrown for any bad corruption name, severity, spec string, seed or image; `code` is stable. */
export class CorruptionError extends Error {
  readonly code = 'CORRUPTION_INVALID' as const;
  constructor(
    message: string,
    readonly part: CorruptionErrorPart,
  ) {
    super(message);
    this.name = 'CorruptionError';
  }
}
