/**
 * The CIFAR-10-C-style benchmark, run through the same InferenceEngine as the live stream (batches
 * of Frame objects, the worker's preprocessing, editor and ensemble): there is no second code path
 * whose numbers could drift from what the stream does.
 *
 * Each image is corrupted at its native 32x32, deterministically (one seed per image index), as
 * CIFAR-10-C was made. The main thread corrupts the next batch while the worker runs the current
 * one (two batches in flight), so the worker never waits for corruption.
 */
import { corrupt, type CorruptionType, type Severity } from '../corrupt/index.js';
import type { Cifar10Set } from '../data/cifar10.js';
import type { InferenceEngine } from '../model/engine.js';
import type { FrameInference } from '../model/types.js';
import type { Frame } from '../stream/frame.js';
import { EvalError } from './errors.js';
import type { Accuracy, EvalReport } from './types.js';

export interface EvaluateOptions {
  /** An open engine; evaluate() neither creates nor closes it. */
  engine: Pick<InferenceEngine, 'infer' | 'info'>;
  /** Images to test (already limited), with their targets and class names. */
  dataset: Cifar10Set;
  severity: Severity;
  /** At least one; evaluated in this order, after the clean images. */
  corruptions: readonly CorruptionType[];
  /** Frames per engine call; default 16. */
  batchSize?: number;
  /** Engine calls in flight; default 2 (one running, one queued). */
  inFlight?: number;
  /** Base corruption seed; default 0. */
  seed?: number;
  /** Called after each batch with the frames done and the total (conditions x images). */
  onProgress?: (done: number, total: number) => void;
}

/** 'clean' or a corruption type. */
type Condition = 'clean' | CorruptionType;

interface Job {
  condition: Condition;
  /** Index of the first image of the batch. */
  start: number;
  end: number;
}

/** Correct answers counted for one condition. */
interface Tally {
  source: number;
  edited: number;
  ensemble: number;
}

/**
 * The corruption seed of image `index`: a fixed function of (seed, index), so a given image gets
 * the same corruption whatever the limit, batch size or run. Unique for index < 2^20.
 */
export function imageSeed(seed: number, index: number): number {
  return seed * 2 ** 20 + index;
}

export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  const { engine, dataset, severity, corruptions, batchSize = 16, inFlight = 2, seed = 0, onProgress } = options;
  const n = dataset.images.length;
  checkOptions(options, n, batchSize, inFlight);
  const truths = dataset.targets.map((target) => dataset.labels[target]);
  checkLabels(truths, engine.info.labels);

  const conditions: Condition[] = ['clean', ...corruptions];
  const tallies = new Map<Condition, Tally>(conditions.map((c) => [c, { source: 0, edited: 0, ensemble: 0 }]));
  const jobs: Job[] = conditions.flatMap((condition) =>
    Array.from({ length: Math.ceil(n / batchSize) }, (_, b) => ({ condition, start: b * batchSize, end: Math.min(n, (b + 1) * batchSize) })),
  );
  const total = conditions.length * n;
  let done = 0;

  const runJob = async (job: Job, frames: Frame[]): Promise<void> => {
    const results = await engine.infer(frames);
    tallyInto(tallies.get(job.condition)!, results, truths.slice(job.start, job.end));
    done += frames.length;
    onProgress?.(done, total);
  };

  const running = new Set<Promise<void>>();
  for (const job of jobs) {
    // Corrupting here, before waiting, overlaps it with the batch already in the worker.
    const frames = framesFor(job, dataset, severity, seed);
    const call: Promise<void> = runJob(job, frames).finally(() => running.delete(call));
    call.catch(() => {}); // a failure is raised by the race/all below, not as an unhandled rejection
    running.add(call);
    if (running.size >= inFlight) await Promise.race(running);
  }
  await Promise.all(running);

  const accuracy = (t: Tally): Accuracy => ({ source: t.source / n, edited: t.edited / n, ensemble: t.ensemble / n });
  const perCorruption = Object.fromEntries(corruptions.map((c) => [c, round(accuracy(tallies.get(c)!))]));
  return {
    n,
    severity,
    editor: engine.info.editor,
    clean: round(accuracy(tallies.get('clean')!)),
    corruptions: perCorruption,
    mean: round(meanAccuracy(corruptions.map((c) => accuracy(tallies.get(c)!)))),
  };
}

function framesFor(job: Job, dataset: Cifar10Set, severity: Severity, seed: number): Frame[] {
  const frames: Frame[] = [];
  for (let index = job.start; index < job.end; index++) {
    const clean = dataset.images[index];
    const data =
      job.condition === 'clean'
        ? clean
        : corrupt({ width: 32, height: 32, data: clean }, job.condition, severity, imageSeed(seed, index));
    frames.push({
      // One stream per condition: the editor's per-stream noise is then the same for every image
      // of a condition, whatever the batch boundaries.
      streamId: `eval:${job.condition}`,
      seq: index,
      ptsMs: 0,
      capturedAt: performance.now(),
      width: 32,
      height: 32,
      data,
      discontinuity: false,
      meta: {
        truth: dataset.labels[dataset.targets[index]],
        ...(job.condition === 'clean' ? {} : { corruption: `${job.condition}:${severity}` }),
      },
    });
  }
  return frames;
}

function tallyInto(tally: Tally, results: readonly FrameInference[], truths: readonly string[]): void {
  results.forEach((result, i) => {
    const truth = truths[i];
    const sourceRight = result.source.label === truth;
    if (sourceRight) tally.source++;
    // No editor: the "edited" prediction is the source's, as the ensemble already is.
    if (result.edited ? result.edited.label === truth : sourceRight) tally.edited++;
    if (result.ensemble.label === truth) tally.ensemble++;
  });
}

function meanAccuracy(accuracies: readonly Accuracy[]): Accuracy {
  const mean = (key: keyof Accuracy) => accuracies.reduce((sum, a) => sum + a[key], 0) / accuracies.length;
  return { source: mean('source'), edited: mean('edited'), ensemble: mean('ensemble') };
}

/** Six decimals: exact for any n up to 10^6, and free of float noise like 0.7350000000000001. */
function round(a: Accuracy): Accuracy {
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { source: r(a.source), edited: r(a.edited), ensemble: r(a.ensemble) };
}

function checkOptions(options: EvaluateOptions, n: number, batchSize: number, inFlight: number): void {
  const problems: string[] = [];
  if (n === 0) problems.push('the data set holds no images');
  if (options.dataset.targets.length !== n) problems.push(`${n} images but ${options.dataset.targets.length} targets`);
  if (options.dataset.images.some((image) => image.length !== 32 * 32 * 3)) problems.push('every image must be 32x32 packed rgb24');
  if (options.corruptions.length === 0) problems.push('at least one corruption is needed');
  if (new Set(options.corruptions).size !== options.corruptions.length) problems.push('a corruption is listed twice');
  if (!Number.isInteger(batchSize) || batchSize < 1) problems.push(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(inFlight) || inFlight < 1) problems.push(`inFlight must be a positive integer, got ${inFlight}`);
  if (problems.length > 0) throw new EvalError('EVAL_INVALID', `cannot evaluate: ${problems.join('; ')}`);
}

function checkLabels(truths: readonly string[], modelLabels: readonly string[]): void {
  const known = new Set(modelLabels);
  const unknown = [...new Set(truths.filter((t) => !known.has(t)))];
  if (unknown.length > 0) {
    throw new EvalError(
      'EVAL_LABELS_MISMATCH',
      `the model's labels (${modelLabels.join(', ')}) do not include the data set's class(es) ${unknown.join(', ')}`,
    );
  }
}
