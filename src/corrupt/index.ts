/**
 * Synthetic corruptions for test feeds and the CIFAR-10-C-style benchmark: the 15 standard types
 * (plus the 4 extra validation types) at severities 1-5, with CIFAR-10-C parameters, on packed rgb24.
 * Deterministic: the same (image, type, severity, seed) always gives the same bytes.
 * See docs/corruptions.md for parameters, deviations from the originals and timings.
 */
export { corrupt } from './corrupt.js';
export {
  ALL_CORRUPTION_TYPES,
  CORRUPTION_TYPES,
  CorruptionError,
  EXTRA_CORRUPTION_TYPES,
  SEVERITIES,
  isCorruptionType,
  isSeverity,
} from './types.js';
export type {
  CorruptionErrorPart,
  CorruptionType,
  ExtraCorruptionType,
  RgbImage,
  Severity,
  StandardCorruptionType,
} from './types.js';
export { corruptionSchedule, formatCorruptionSpec, parseCorruptionSpec } from './spec.js';
export type { CorruptionSchedule, CorruptionSpec, ScheduleOptions } from './spec.js';
export { frameScale } from './scale.js';
export type { FrameScale } from './scale.js';
export { createCorruptionStage } from './stage.js';
export type { CorruptionStageOptions, Reseed } from './stage.js';
