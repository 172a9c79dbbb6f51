/**
 * `decorruptor bundle calibrate`: the activation ranges int8 quantization needs, measured where
 * they occur. Each model of the bundle is opened with every activation as an extra output, and
 * the runtime's own batch path (classifier, VAE encode, the editor's sampling loop, VAE decode,
 * classifier on the edit) runs over training images, clean and under the four extra corruptions
 * (never the fifteen evaluation ones). The sampling loop reaches the UNet with the inputs it gets
 * in service, timestep by timestep, which no stand-alone input generator would reproduce.
 *
 * Observed are the tensors int8 quantization puts a range on: the activation input and the output
 * of every Conv, ConvTranspose, Gemm and MatMul. Writes, for training/quantize.py,
 *   { models: { <file relative to the bundle>: { <tensor>: { min, max, p99_9, p99_99, p99_999 } } } }
 * where pN is the range leaving out (100 - N) % of the values on each side (activation-histogram.ts).
 *
 * Runs onnxruntime in this thread: a one-shot command, never inside serve.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type * as ort from 'onnxruntime-node';
import { corrupt } from '../corrupt/index.js';
import { EXTRA_CORRUPTION_TYPES } from '../corrupt/types.js';
import { CIFAR10_SIZE, loadCifar10 } from '../data/index.js';
import { BatchInference } from '../model/batch-inference.js';
import { ModelBundle } from '../model/bundle.js';
import type { Manifest } from '../model/manifest.js';
import { MANIFEST_FILE, readManifest } from '../model/manifest-file.js';
import { readOnnxGraph, withExtraOutputs } from '../model/onnx-graph.js';
import { ActivationHistogram } from './activation-histogram.js';

export interface CalibrateOptions {
  bundleDir: string;
  cifar10Dir: string;
  /** Training images to run (default 512). */
  images?: number;
  /** Editors to run (default: every editor of the bundle); each calibrates its UNet. */
  editors?: string[];
  /** Share of images left clean (default 0.25); the rest get an extra corruption at severity 1-5. */
  cleanShare?: number;
  batch?: number;
  providers: string[];
  intraOpThreads?: number;
  log?: (message: string) => void;
}

/** Ranges leaving out the rarest values: the percentiles quantize.py may choose from. */
export const RANGE_PERCENTILES = { p99_9: 99.9, p99_99: 99.99, p99_999: 99.999 } as const;

export type TensorRange = { min: number; max: number } & Record<keyof typeof RANGE_PERCENTILES, [number, number]>;
export type TensorRanges = Record<string, TensorRange>;

/** The ops whose activation input and output int8 quantization ranges (training/qdq.py). */
const QUANTIZED_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export interface CalibrationResult {
  bundle: string;
  images: number;
  editors: string[];
  corruptions: readonly string[];
  /** By model file, relative to the bundle folder. */
  models: Record<string, TensorRanges>;
}

/** The model with every tensor to observe as an output (graph inputs and outputs are seen anyway). */
async function instrumented(file: string): Promise<Uint8Array> {
  const { bytes, graph } = await readOnnxGraph(file);
  const seen = new Set([...graph.inputs, ...graph.outputs]);
  const names = graph.nodes
    .filter((n) => QUANTIZED_OPS.has(n.opType))
    .flatMap((n) => [n.inputs[0], n.outputs[0]])
    .filter((name) => name && !graph.initializers.has(name) && !seen.has(name));
  return withExtraOutputs(bytes, [...new Set(names)]);
}

/** A copy of the bundle in `dir` whose models report every activation; returns the map copy -> original. */
async function writeInstrumentedBundle(root: string, manifest: Manifest, dir: string): Promise<Map<string, string>> {
  const copies = new Map<string, string>();
  const place = async (file: string): Promise<string> => {
    const existing = [...copies].find(([, original]) => original === file)?.[0];
    if (existing) return path.basename(existing);
    const name = `${copies.size}-${path.basename(file)}`;
    await writeFile(path.join(dir, name), await instrumented(path.resolve(root, file)));
    copies.set(path.join(dir, name), file);
    return name;
  };
  const copy: Manifest = structuredClone(manifest);
  copy.classifier.file = await place(manifest.classifier.file);
  copy.vae.encoder = await place(manifest.vae.encoder);
  copy.vae.decoder = await place(manifest.vae.decoder);
  for (const editor of Object.values(copy.editors)) editor.unet.file = await place(editor.unet.file);
  delete copy.variants;
  // Without its gate the copy edits every calibration image (the gate stays fp32 and is not observed).
  delete copy.gate;
  await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(copy));
  return copies;
}

function record(histograms: Map<string, ActivationHistogram>, outputs: Readonly<Record<string, ort.Tensor>>): void {
  for (const [name, tensor] of Object.entries(outputs)) {
    if (tensor.type !== 'float32') continue;
    let histogram = histograms.get(name);
    if (!histogram) histograms.set(name, (histogram = new ActivationHistogram()));
    histogram.add(tensor.data as Float32Array);
  }
}

function rangesOf(histograms: Map<string, ActivationHistogram>): TensorRanges {
  const ranges: TensorRanges = {};
  for (const [name, h] of histograms) {
    const range = { min: h.min, max: h.max } as TensorRange;
    for (const [key, percentile] of Object.entries(RANGE_PERCENTILES) as Array<[keyof typeof RANGE_PERCENTILES, number]>) range[key] = h.range(percentile);
    ranges[name] = range;
  }
  return ranges;
}

/** The calibration images: training images, a share clean, the rest under an extra corruption. */
async function calibrationImages(options: CalibrateOptions, count: number): Promise<Uint8Array[]> {
  const { images } = await loadCifar10(options.cifar10Dir, 'train', count);
  const cleanShare = options.cleanShare ?? 0.25;
  return Promise.all(
    images.map(async (image, i) => {
      // A fixed interleaving: image i is clean, or corruption (i mod 4) at severity 1 + (i mod 5).
      if ((i * 0.618034) % 1 < cleanShare) return image;
      const type = EXTRA_CORRUPTION_TYPES[i % EXTRA_CORRUPTION_TYPES.length];
      const severity = (1 + (i % 5)) as 1 | 2 | 3 | 4 | 5;
      return corrupt({ width: CIFAR10_SIZE, height: CIFAR10_SIZE, data: image }, type, severity, i);
    }),
  );
}

export async function calibrateBundle(options: CalibrateOptions): Promise<CalibrationResult> {
  const log = options.log ?? (() => {});
  const root = path.resolve(options.bundleDir);
  const manifest = await readManifest(root);
  const editors = options.editors ?? Object.keys(manifest.editors);
  const count = options.images ?? 512;
  const batch = options.batch ?? 16;
  const images = await calibrationImages(options, count);
  const work = await mkdtemp(path.join(tmpdir(), 'decorruptor-calibrate-'));
  try {
    const copies = await writeInstrumentedBundle(root, manifest, work);
    const histograms = new Map<string, Map<string, ActivationHistogram>>();
    const observe = (file: string, outputs: Readonly<Record<string, ort.Tensor>>) => {
      const original = copies.get(file) ?? file;
      if (!histograms.has(original)) histograms.set(original, new Map());
      record(histograms.get(original)!, outputs);
    };
    for (const editor of editors) {
      log(`calibrate: editor ${editor}, ${count} training images, batch ${batch}`);
      const bundle = await ModelBundle.open(work, { editor, providers: options.providers, intraOpThreads: options.intraOpThreads, log, observe });
      try {
        const inference = BatchInference.create(bundle, { noiseSeed: 0, editorNoise: 'bundle', ensemble: 'sum', topK: 1 });
        for (let first = 0; first < count; first += batch) {
          const frames = images.slice(first, first + batch).map((data, i) => ({ streamId: `calibration-${first + i}`, width: CIFAR10_SIZE, height: CIFAR10_SIZE, data }));
          await inference.run(frames);
        }
      } finally {
        await bundle.release();
      }
    }
    const models: Record<string, TensorRanges> = {};
    for (const [file, tensors] of histograms) models[file] = rangesOf(tensors);
    return { bundle: root, images: count, editors, corruptions: EXTRA_CORRUPTION_TYPES, models };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
