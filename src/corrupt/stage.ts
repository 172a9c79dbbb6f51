/**
 * Stream stage: turns clean frames into a corrupted test feed following a schedule. Pure and
 * asynchronous (corrupt() is); the stream layer decides where to put it. The applied spec goes to
 * meta.corruption.
 */
import { corrupt } from './corrupt.js';
import { seedState } from './prng.js';
import { type CorruptionSchedule, formatCorruptionSpec } from './spec.js';
import type { CorruptionType } from './types.js';
import type { Frame } from '../stream/frame.js';

/**
 * How random patterns evolve over a feed:
 * - per-frame:   new noise every frame (sensor noise flickers like a real camera's);
 * - per-segment: one pattern for a whole schedule period (fog, frost, snow, the motion-blur angle
 *   and elastic warp stay put instead of jumping around 30 times a second);
 * - auto:        per-frame for the noise types, per-segment for the rest.
 */
export type Reseed = 'per-frame' | 'per-segment' | 'auto';

export interface CorruptionStageOptions {
  schedule: CorruptionSchedule;
  /** Base seed of the feed (default 0). */
  seed?: number;
  reseed?: Reseed;
}

const FLICKERING: ReadonlySet<CorruptionType> = new Set<CorruptionType>([
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'speckle_noise',
]);

export function createCorruptionStage(options: CorruptionStageOptions): (frame: Frame) => Promise<Frame> {
  const { schedule, seed = 0, reseed = 'auto' } = options;
  return async (frame) => {
    const segment = schedule.segmentAt(frame.ptsMs);
    const spec = schedule.at(frame.ptsMs);
    const perFrame = reseed === 'per-frame' || (reseed === 'auto' && FLICKERING.has(spec.type));
    const frameSeed = seedState(seed, perFrame ? `frame:${frame.seq}` : `segment:${segment}`);
    const data = await corrupt(frame, spec.type, spec.severity, frameSeed);
    return { ...frame, data, meta: { ...frame.meta, corruption: formatCorruptionSpec(spec) } };
  };
}
