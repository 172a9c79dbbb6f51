/**
 * The CIFAR-10-C-style benchmark as reports: `evaluate` corrupts the clean test images itself
 * (src/corrupt, one seed per image, as CIFAR-10-C was made); `evaluateImages` measures images made
 * elsewhere (an image folder, `eval --images`) as they are. Both run measure.ts's engine loop.
 */
import type { CorruptionType, Severity } from '../corrupt/index.js';
import type { Cifar10Set } from '../data/cifar10.js';
import { corruptedCondition } from './conditions.js';
import type { ImageFolder } from './image-folder.js';
import { measureConditions, type MeasureOptions } from './measure.js';
import type { EvalReport } from './types.js';

type LoopOptions = Pick<MeasureOptions, 'engine' | 'batchSize' | 'inFlight' | 'onProgress'>;

export interface EvaluateOptions extends LoopOptions {
  /** Images to test (already limited), with their targets and class names. */
  dataset: Cifar10Set;
  severity: Severity;
  /** At least one; evaluated in this order, after the clean images. */
  corruptions: readonly CorruptionType[];
  /** Base corruption seed; default 0. */
  seed?: number;
}

export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const { engine, dataset, severity, corruptions, seed = 0 } = options;
  const conditions = corruptions.map((type) => corruptedCondition(dataset, type, severity, seed));
  const measured = await measureConditions({ ...options, conditions });
  return { n: dataset.images.length, severity, editor: engine.info.editor, noise: engine.info.noise, gate: engine.info.gate ?? null, ensemble: engine.info.ensemble, ...measured };
}

export interface EvaluateImagesOptions extends LoopOptions {
  /** A loaded image folder (loadImageFolder): its clean images and the conditions beside them. */
  folder: ImageFolder;
}

/** The folder's files as they are: severity is null (not ours to know), `images` names the folder. */
export async function evaluateImages(options: EvaluateImagesOptions): Promise<EvalReport> {
  const { engine, folder } = options;
  const measured = await measureConditions({ ...options, dataset: folder.clean, conditions: folder.conditions });
  return { n: folder.clean.images.length, severity: null, images: folder.dir, editor: engine.info.editor, noise: engine.info.noise, gate: engine.info.gate ?? null, ensemble: engine.info.ensemble, ...measured };
}
