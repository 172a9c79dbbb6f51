/**
 * The benchmark's engine loop: every condition's images, batch by batch, through the same
 * InferenceEngine as the live stream (batches of Frame objects, the worker's preprocessing, editor
 * and ensemble), tallied into accuracies and pixel errors against the clean images. There is no
 * second code path whose numbers could drift from what the stream does.
 *
 * The main thread prepares the next batch (e.g. corrupts it) while the worker runs the current one
 * (two batches in flight), so the worker never waits for it.
 */
import type { Cifar10Set } from '../data/cifar10.js';
import type { InferenceEngine } from '../model/engine.js';
import { rgb24ToPlanar, type ChannelAffine } from '../model/preprocess.js';
import type { FrameInference } from '../model/types.js';
import type { Frame } from '../stream/frame.js';
import { cleanCondition, type EvalCondition } from './conditions.js';
import { EvalError } from './errors.js';
import type { ConditionResult } from './types.js';

export interface MeasureOptions {
  /** An open engine; neither created nor closed here. Its corruption gate (if any) decides per image. */
  engine: Pick<InferenceEngine, 'infer' | 'info'>;
  /** The clean images (already limited), their targets and class names: the clean row and the MSE reference. */
  dataset: Cifar10Set;
  /** At least one, measured in this order after the clean images; image i of each is clean image i altered. */
  conditions: readonly EvalCondition[];
  /** Frames per engine call; default 16. */
  batchSize?: number;
  /** Engine calls in flight; default 2 (one running, one queued). */
  inFlight?: number;
  /** Called after each batch with the frames done and the total (conditions x images, clean included). */
  onProgress?: (done: number, total: number) => void;
}

/** The rows of a report: clean, each condition by name, and their mean (clean excluded). */
export interface Measured {
  clean: ConditionResult;
  corruptions: Record<string, ConditionResult>;
  mean: ConditionResult;
}

interface Job {
  condition: EvalCondition;
  /** Index of the first image of the batch. */
  start: number;
  end: number;
}

/** Correct answers and pixel errors summed over the images of one condition. */
interface Tally {
  source: number;
  edited: number;
  ensemble: number;
  /** Squared differences to the clean image, in 0..255 units, summed over values and images. */
  inputSquares: number;
  editedSquares: number;
  /** Images whose result carried an edited image. */
  editedImages: number;
}

/** The benchmark's image size: CIFAR-10's, that of the frames and of the clean images. */
const IMAGE_SIZE = { width: 32, height: 32 } as const;
const IMAGE_VALUES = IMAGE_SIZE.width * IMAGE_SIZE.height * 3;
/** Divides a squared-difference sum of one image by this for its MSE on the [0, 1] scale. */
const SQUARES_PER_MSE = 255 * 255 * IMAGE_VALUES;

export async function measureConditions(options: MeasureOptions): Promise<Measured> {
  const { engine, dataset, batchSize = 16, inFlight = 2, onProgress } = options;
  const n = dataset.images.length;
  checkOptions(options, n, batchSize, inFlight);
  const truths = dataset.targets.map((target) => dataset.labels[target]);
  checkLabels(truths, engine.info.labels);

  const conditions = [cleanCondition(dataset), ...options.conditions];
  const tallies = new Map<EvalCondition, Tally>(
    conditions.map((c) => [c, { source: 0, edited: 0, ensemble: 0, inputSquares: 0, editedSquares: 0, editedImages: 0 }]),
  );
  const jobs: Job[] = conditions.flatMap((condition) =>
    Array.from({ length: Math.ceil(n / batchSize) }, (_, b) => ({ condition, start: b * batchSize, end: Math.min(n, (b + 1) * batchSize) })),
  );
  const total = conditions.length * n;
  let done = 0;

  const runJob = async (job: Job, frames: Frame[]): Promise<void> => {
    const results = await engine.infer(frames);
    tallyInto(tallies.get(job.condition)!, results, frames, truths.slice(job.start, job.end), dataset.images.slice(job.start, job.end));
    done += frames.length;
    onProgress?.(done, total);
  };

  const running = new Set<Promise<void>>();
  for (const job of jobs) {
    // Preparing the frames here, before waiting, overlaps it with the batch already in the worker.
    const frames = await framesFor(job, dataset);
    const call: Promise<void> = runJob(job, frames).finally(() => running.delete(call));
    call.catch(() => {}); // a failure is raised by the race/all below, not as an unhandled rejection
    running.add(call);
    if (running.size >= inFlight) await Promise.race(running);
  }
  await Promise.all(running);

  const result = (t: Tally): ConditionResult => ({
    source: t.source / n,
    edited: t.edited / n,
    ensemble: t.ensemble / n,
    mse: {
      input: t.inputSquares / (n * SQUARES_PER_MSE),
      edited: t.editedImages > 0 ? t.editedSquares / (t.editedImages * SQUARES_PER_MSE) : null,
    },
    editRate: t.editedImages / n,
  });
  const altered = options.conditions.map((c) => result(tallies.get(c)!));
  return {
    clean: round(result(tallies.get(conditions[0])!)),
    corruptions: Object.fromEntries(options.conditions.map((c, i) => [c.name, round(altered[i])])),
    mean: round(meanResult(altered)),
  };
}

async function framesFor(job: Job, dataset: Cifar10Set): Promise<Frame[]> {
  const { condition, start } = job;
  const images = await condition.images(start, job.end);
  if (images.length !== job.end - start || images.some((image) => image.length !== IMAGE_VALUES)) {
    throw new EvalError('EVAL_INVALID', `condition '${condition.name}' must give one 32x32 rgb24 image for each of images ${start}..${job.end - 1}`);
  }
  return images.map((data, i) => ({
    // One stream per image. With the bundle's pinned noise every image shares it, as every stream
    // does; with per-stream noise each image has its own, the same in every condition and batch
    // layout, so the accuracy averages over as many noise draws as images and conditions and
    // editors are compared on equal noise.
    streamId: `eval:image${start + i}`,
    seq: start + i,
    ptsMs: 0,
    capturedAt: performance.now(),
    ...IMAGE_SIZE,
    data,
    discontinuity: false,
    meta: {
      truth: dataset.labels[dataset.targets[start + i]],
      ...(condition.tag === undefined ? {} : { corruption: condition.tag }),
    },
  }));
}

function tallyInto(
  tally: Tally,
  results: readonly FrameInference[],
  frames: readonly Frame[],
  truths: readonly string[],
  cleans: readonly Uint8Array[],
): void {
  results.forEach((result, i) => {
    const truth = truths[i];
    const sourceRight = result.source.label === truth;
    if (sourceRight) tally.source++;
    // No editor: the "edited" prediction is the source's, as the ensemble already is.
    if (result.edited ? result.edited.label === truth : sourceRight) tally.edited++;
    if (result.ensemble.label === truth) tally.ensemble++;
    tally.inputSquares += squaredError(frames[i], cleans[i]);
    if (result.editedImage) {
      tally.editedSquares += squaredError(result.editedImage, cleans[i]);
      tally.editedImages++;
    }
  });
}

/** 0..255 intensities kept as they are: resizing only. */
const IDENTITY: ChannelAffine = { scale: [1, 1, 1], offset: [0, 0, 0] };
/** Planar scratch for an edited image resized to 32x32 (main thread only, one image at a time). */
const resized = new Float32Array(IMAGE_VALUES);

/**
 * Sum over pixels and channels of (image - clean)^2, in 0..255 units. At 32x32 it is an integer
 * (exact, so the total does not depend on batching); an image of another size (an editor whose VAE
 * works at another size) is first resized to 32x32 with 'area', the bundles' default resize.
 */
function squaredError(image: { width: number; height: number; data: Uint8Array }, clean: Uint8Array): number {
  let sum = 0;
  if (image.width === IMAGE_SIZE.width && image.height === IMAGE_SIZE.height) {
    for (let q = 0; q < IMAGE_VALUES; q++) {
      const d = image.data[q] - clean[q];
      sum += d * d;
    }
    return sum;
  }
  rgb24ToPlanar(image.data, image, resized, 0, IMAGE_SIZE, 'area', IDENTITY);
  const plane = IMAGE_SIZE.width * IMAGE_SIZE.height;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const d = resized[c * plane + p] - clean[p * 3 + c];
      sum += d * d;
    }
  }
  return sum;
}

function meanResult(results: readonly ConditionResult[]): ConditionResult {
  const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const edited = results.map((r) => r.mse.edited);
  return {
    source: mean(results.map((r) => r.source)),
    edited: mean(results.map((r) => r.edited)),
    ensemble: mean(results.map((r) => r.ensemble)),
    mse: {
      input: mean(results.map((r) => r.mse.input)),
      edited: edited.every((e): e is number => e !== null) ? mean(edited) : null,
    },
    editRate: mean(results.map((r) => r.editRate)),
  };
}

/**
 * Accuracies to six decimals: exact for any n up to 10^6, and free of float noise like
 * 0.7350000000000001. MSEs to eight, as a good edit's can be well under 0.001.
 */
function round(r: ConditionResult): ConditionResult {
  const to = (digits: number) => (x: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  const [accuracy, mse] = [to(6), to(8)];
  return {
    source: accuracy(r.source),
    edited: accuracy(r.edited),
    ensemble: accuracy(r.ensemble),
    mse: { input: mse(r.mse.input), edited: r.mse.edited === null ? null : mse(r.mse.edited) },
    editRate: accuracy(r.editRate),
  };
}

function checkOptions(options: MeasureOptions, n: number, batchSize: number, inFlight: number): void {
  const problems: string[] = [];
  const names = options.conditions.map((c) => c.name);
  if (n === 0) problems.push('the data set holds no images');
  if (options.dataset.targets.length !== n) problems.push(`${n} images but ${options.dataset.targets.length} targets`);
  if (options.dataset.images.some((image) => image.length !== IMAGE_VALUES)) problems.push('every image must be 32x32 packed rgb24');
  if (names.length === 0) problems.push('at least one corruption is needed');
  if (new Set(names).size !== names.length) problems.push('a corruption is listed twice');
  if (names.includes('clean')) problems.push("'clean' is always measured and cannot be a corruption");
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
