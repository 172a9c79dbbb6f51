/**
 * The CIFAR-10-C-style benchmark, run through the same InferenceEngine as the live stream (batches
 * of Frame objects, the worker's preprocessing, editor and ensemble): there is no second code path
 * whose numbers could drift from what the stream does.
 *
 * Each image is corrupted at its native 32x32, deterministically (one seed per image index), as
 * CIFAR-10-C was made. The main thread corrupts the next batch while the worker runs the current
 * one (two batches in flight), so the worker never waits for corruption; the images of a batch are
 * corrupted concurrently (jpeg_compression's libjpeg runs on libuv's threads).
 */
import { corrupt, type CorruptionType, type Severity } from '../corrupt/index.js';
import type { Cifar10Set } from '../data/cifar10.js';
import type { InferenceEngine } from '../model/engine.js';
import { rgb24ToPlanar, type ChannelAffine } from '../model/preprocess.js';
import type { FrameInference } from '../model/types.js';
import type { Frame } from '../stream/frame.js';
import { EvalError } from './errors.js';
import type { ConditionResult, EvalReport } from './types.js';

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
  const tallies = new Map<Condition, Tally>(
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
    // Corrupting here, before waiting, overlaps it with the batch already in the worker.
    const frames = await framesFor(job, dataset, severity, seed);
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
  });
  const perCorruption = Object.fromEntries(corruptions.map((c) => [c, round(result(tallies.get(c)!))]));
  return {
    n,
    severity,
    editor: engine.info.editor,
    noise: engine.info.noise,
    clean: round(result(tallies.get('clean')!)),
    corruptions: perCorruption,
    mean: round(meanResult(corruptions.map((c) => result(tallies.get(c)!)))),
  };
}

async function framesFor(job: Job, dataset: Cifar10Set, severity: Severity, seed: number): Promise<Frame[]> {
  const indices = Array.from({ length: job.end - job.start }, (_, i) => job.start + i);
  const { condition } = job;
  const images = await Promise.all(indices.map((index) => {
    const clean = dataset.images[index];
    return condition === 'clean' ? clean : corrupt({ ...IMAGE_SIZE, data: clean }, condition, severity, imageSeed(seed, index));
  }));
  return indices.map((index, i) => ({
    // One stream per image. With the bundle's pinned noise every image shares it, as every stream
    // does; with per-stream noise each image has its own, the same in every condition and batch
    // layout, so the accuracy averages over as many noise draws as images and conditions and
    // editors are compared on equal noise.
    streamId: `eval:image${index}`,
    seq: index,
    ptsMs: 0,
    capturedAt: performance.now(),
    ...IMAGE_SIZE,
    data: images[i],
    discontinuity: false,
    meta: {
      truth: dataset.labels[dataset.targets[index]],
      ...(condition === 'clean' ? {} : { corruption: `${condition}:${severity}` }),
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
  };
}

function checkOptions(options: EvaluateOptions, n: number, batchSize: number, inFlight: number): void {
  const problems: string[] = [];
  if (n === 0) problems.push('the data set holds no images');
  if (options.dataset.targets.length !== n) problems.push(`${n} images but ${options.dataset.targets.length} targets`);
  if (options.dataset.images.some((image) => image.length !== IMAGE_VALUES)) problems.push('every image must be 32x32 packed rgb24');
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
