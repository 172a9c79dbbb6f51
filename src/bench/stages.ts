/**
 * "Where the time goes": the engine's per-batch StageTimings, reduced to one median per stage.
 * `compute` is the worker's own time on the batch (total minus the wait in its queue).
 */
import { STAGE_TIMING_FIELDS, type StageTimings } from '../model/types.js';
import { median, round } from './stats.js';

export const STAGE_NAMES = ['preprocess', 'classify', 'encode', 'unet', 'decode', 'ensemble'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

/** Milliseconds per batch, median over the timed batches; batch_size is the median frames per batch. */
export type StageBreakdown = Record<StageName | 'queue' | 'compute' | 'total' | 'batch_size', number>;


export function medianStages(timings: readonly StageTimings[]): StageBreakdown {
  const of = (pick: (t: StageTimings) => number) => round(median(timings.map(pick)), 3);
  const stages = Object.fromEntries(STAGE_NAMES.map((name) => [name, of((t) => t[STAGE_TIMING_FIELDS[name]])])) as Record<StageName, number>;
  return {
    ...stages,
    queue: of((t) => t.queueMs),
    compute: of((t) => t.totalMs - t.queueMs),
    total: of((t) => t.totalMs),
    batch_size: of((t) => t.batchSize),
  };
}
