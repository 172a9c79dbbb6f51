/**
 * One ONNX model file behind an onnxruntime session: execution-provider fallback at open time,
 * tensor metadata look-ups for validation, and batch-first runs (split into chunks when the model
 * was exported with a fixed batch size), small batches on a one-thread session of their own.
 *
 * Only the inference worker may import this module: onnxruntime must live in one thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { physicalCoreCount } from './cpu-features.js';
import { BundleError, ProviderError } from './errors.js';
import { medianRunMs, probeInputs } from './run-probe.js';
import { DEFAULT_ONE_THREAD_MAX_BATCH } from './types.js';

export interface SessionConfig {
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  providers: readonly string[];
  /** Intra-op threads of each session; default: this process's physical cores (cpu-features.ts). */
  intraOpThreads?: number;
  /**
   * The largest batch that runs on a second, one-thread session of a CPU model (0: none; 'auto':
   * measured when the model opens, up to 4). Threads that sleep between runs (no spinning, below)
   * must be woken for every operator; at 32x32 and batches of 1-2 that costs more than the second
   * thread computes (after a pause, batch 1 on one thread vs two: UNet 0.65 vs 1.03 ms, VAE
   * 0.23-0.26 vs 0.33, classifier 1.28 vs 1.38), while a batch of 16 runs 1.8x faster on two.
   * Default DEFAULT_ONE_THREAD_MAX_BATCH: as fast as 'auto' on a live stream here, with no
   * start-up measurement (about 0.5 s a bundle) and the same choice on every start.
   */
  oneThreadMaxBatch?: 'auto' | number;
  log: (message: string) => void;
  /**
   * Calibration (`decorruptor bundle calibrate`): when set, every run fetches all the model's
   * outputs (extra ones included) and hands them over with its inputs and file after the run.
   */
  observe?: (file: string, outputs: Readonly<Record<string, ort.Tensor>>) => void;
}

export type TensorMeta = ort.InferenceSession.TensorValueMetadata;

/** Batches the start-up check tries, in order, until one-thread runs lose. */
const ONE_THREAD_PROBE_BATCHES = [1, 2, 4];
const ONE_THREAD_PROBE_RUNS = 3;
/**
 * Each timed probe run comes this long after the last: the case that matters, a live frame after
 * a pause, finds the other threads asleep (back to back, they are still awake and the two tie).
 */
const ONE_THREAD_PROBE_IDLE_MS = 2;

/** A batch-first input: dims[0] is the batch; dims [] is a scalar shared by the whole batch. */
export interface BatchInput {
  data: Float32Array | Int32Array | BigInt64Array;
  dims: readonly number[];
}

let supportedBackends: Set<string> | undefined;

function backendsInThisBuild(): Set<string> {
  supportedBackends ??= new Set(ort.listSupportedBackends().map((b) => b.name));
  return supportedBackends;
}

/**
 * The npm package lists 'cuda' on Linux x64 even when its CUDA libraries were never installed
 * (`npm ci` does not run its download script: package.json's allowScripts denies it); trying it
 * then only prints a native error. The libraries sit next to the binding, where
 * `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install` puts them.
 */
function providerLibrariesInstalled(provider: string): boolean {
  if (provider !== 'cuda' && provider !== 'tensorrt') return true;
  try {
    const packageDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const binDir = join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(binDir, `libonnxruntime_providers_${provider}.so`));
  } catch {
    return true; // unknown layout: let onnxruntime decide
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class OnnxModel {
  readonly file: string;
  /** Which execution provider this session runs on. */
  readonly provider: string;
  #session: ort.InferenceSession;
  #fixedBatch: number | null;
  #observe: SessionConfig['observe'];
  /** A one-thread session of the same file for batches up to `maxBatch` (see SessionConfig). */
  #oneThread: { session: ort.InferenceSession; maxBatch: number } | null = null;

  private constructor(file: string, provider: string, session: ort.InferenceSession, observe: SessionConfig['observe']) {
    this.file = file;
    this.provider = provider;
    this.#session = session;
    this.#observe = observe;
    const first = session.inputMetadata[0];
    const dim0 = first && first.isTensor ? first.shape[0] : undefined;
    this.#fixedBatch = typeof dim0 === 'number' && dim0 > 0 ? dim0 : null;
  }

  /**
   * Opens `file` with the first provider in `config.providers` that works, logging each fallback.
   * Fails with BUNDLE_ONNX_INVALID when the CPU provider was tried and failed too (the file itself
   * is at fault), else with PROVIDER_UNAVAILABLE.
   */
  static async open(file: string, config: SessionConfig): Promise<OnnxModel> {
    const failures: string[] = [];
    let cpuFailure: unknown;
    for (const provider of config.providers) {
      if (!backendsInThisBuild().has(provider)) {
        failures.push(`${provider}: not in this onnxruntime build`);
        config.log(`execution provider '${provider}' is not in this onnxruntime build, falling back`);
        continue;
      }
      if (!providerLibrariesInstalled(provider)) {
        failures.push(`${provider}: provider libraries not installed`);
        config.log(`execution provider '${provider}': its libraries are not installed (ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install), falling back`);
        continue;
      }
      try {
        const options: ort.InferenceSession.SessionOptions = {
          executionProviders: [provider],
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
          // Idle intra-op threads would otherwise spin between runs, taking the cores that the
          // main thread (ffmpeg I/O, WebSocket sends) needs on small machines.
          extra: { session: { intra_op: { allow_spinning: '0' } } },
          intraOpNumThreads: config.intraOpThreads ?? physicalCoreCount(),
        };
        const session = await ort.InferenceSession.create(file, options);
        if (failures.length > 0) config.log(`${file}: using execution provider '${provider}'`);
        const model = new OnnxModel(file, provider, session, config.observe);
        if (model.#wantsOneThreadSession(config)) await model.#addOneThreadSession({ ...options, intraOpNumThreads: 1 }, config);
        return model;
      } catch (error) {
        failures.push(`${provider}: ${errorText(error)}`);
        if (provider === 'cpu') cpuFailure = error;
        else config.log(`execution provider '${provider}' failed for ${file}, falling back: ${errorText(error)}`);
      }
    }
    if (cpuFailure !== undefined) {
      throw new BundleError('BUNDLE_ONNX_INVALID', file, `not a loadable ONNX model (${errorText(cpuFailure)})`, { cause: cpuFailure });
    }
    throw new ProviderError(`no execution provider of [${config.providers.join(', ')}] could open ${file}: ${failures.join('; ')}`);
  }

  /** The largest batch run on the one-thread session; 0 when every batch runs on the shared one. */
  get oneThreadMaxBatch(): number {
    return this.#oneThread?.maxBatch ?? 0;
  }

  #wantsOneThreadSession(config: SessionConfig): boolean {
    const setting = config.oneThreadMaxBatch ?? DEFAULT_ONE_THREAD_MAX_BATCH;
    // Calibration fetches every output of one session; fixed-batch exports never see small batches.
    return this.provider === 'cpu' && setting !== 0 && (config.intraOpThreads ?? physicalCoreCount()) > 1 && !this.#observe && this.#fixedBatch === null;
  }

  async #addOneThreadSession(options: ort.InferenceSession.SessionOptions, config: SessionConfig): Promise<void> {
    const session = await ort.InferenceSession.create(this.file, options);
    const setting = config.oneThreadMaxBatch ?? DEFAULT_ONE_THREAD_MAX_BATCH;
    let maxBatch = typeof setting === 'number' ? setting : 0;
    if (setting === 'auto') {
      // Same outputs either way (onnxruntime's CPU kernels split work, not sums, across threads):
      // only the time differs, so keep one-thread runs up to the last probed batch they win.
      const measured: string[] = [];
      const output = this.outputNames[0];
      for (const batch of ONE_THREAD_PROBE_BATCHES) {
        const feeds = toTensors(probeInputs(this, batch));
        const oneMs = await medianRunMs(() => session.run(feeds, [output]), ONE_THREAD_PROBE_RUNS, 1, ONE_THREAD_PROBE_IDLE_MS);
        const sharedMs = await medianRunMs(() => this.#session.run(feeds, [output]), ONE_THREAD_PROBE_RUNS, 1, ONE_THREAD_PROBE_IDLE_MS);
        measured.push(`batch ${batch} ${oneMs.toFixed(2)} vs ${sharedMs.toFixed(2)} ms`);
        if (oneMs > sharedMs) break;
        maxBatch = batch;
      }
      config.log(`${basename(this.file)}: batches up to ${maxBatch} on one thread (one thread vs all: ${measured.join(', ')})`);
    }
    if (maxBatch === 0) {
      await session.release();
      return;
    }
    this.#oneThread = { session, maxBatch };
  }

  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /** Metadata of a named input or output, or undefined when the model has no tensor of that name. */
  tensorMeta(kind: 'input' | 'output', name: string): TensorMeta | undefined {
    const list = kind === 'input' ? this.#session.inputMetadata : this.#session.outputMetadata;
    const meta = list.find((m) => m.name === name);
    return meta && meta.isTensor ? meta : undefined;
  }

  /**
   * Runs a batch of `batch` samples and returns the named output, batch-first, as float32.
   * `perSample`, when given, is the number of output values each sample must have: models with
   * symbolic output shapes are only checked here, at run time.
   */
  async run(inputs: Record<string, BatchInput>, output: string, batch: number, perSample?: number): Promise<Float32Array> {
    const result = await this.#runBatched(inputs, output, batch);
    if (perSample !== undefined && result.length !== batch * perSample) {
      throw new BundleError('BUNDLE_SHAPE_MISMATCH', this.file, `output '${output}' has ${result.length / batch} values per sample, expected ${perSample}`);
    }
    return result;
  }

  async #runBatched(inputs: Record<string, BatchInput>, output: string, batch: number): Promise<Float32Array> {
    const chunk = this.#fixedBatch;
    if (chunk === null || chunk === batch) return this.#runOnce(inputs, output, batch);

    // Fixed-batch export: run chunks of `chunk` samples, zero-padding the last one.
    const parts: Float32Array[] = [];
    let perSample = 0;
    for (let first = 0; first < batch; first += chunk) {
      const count = Math.min(chunk, batch - first);
      const feeds: Record<string, BatchInput> = {};
      for (const [name, input] of Object.entries(inputs)) feeds[name] = sliceBatch(input, batch, first, count, chunk);
      const out = await this.#runOnce(feeds, output, chunk);
      perSample = out.length / chunk;
      parts.push(out.subarray(0, count * perSample));
    }
    const result = new Float32Array(batch * perSample);
    let offset = 0;
    for (const part of parts) {
      result.set(part, offset);
      offset += part.length;
    }
    return result;
  }

  async #runOnce(inputs: Record<string, BatchInput>, output: string, batch: number): Promise<Float32Array> {
    const feeds = toTensors(inputs);
    const session = this.#oneThread && batch <= this.#oneThread.maxBatch ? this.#oneThread.session : this.#session;
    const results = this.#observe ? await session.run(feeds) : await session.run(feeds, [output]);
    this.#observe?.(this.file, { ...feeds, ...results });
    const tensor = results[output];
    if (!tensor || !(tensor.data instanceof Float32Array)) {
      throw new TypeError(`${this.file}: output '${output}' is missing or not float32`);
    }
    return tensor.data;
  }

  async release(): Promise<void> {
    await Promise.all([this.#session.release(), this.#oneThread?.session.release()]);
  }
}

function toTensors(inputs: Record<string, BatchInput>): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, input] of Object.entries(inputs)) feeds[name] = new ort.Tensor(input.data, input.dims);
  return feeds;
}

function sliceBatch(input: BatchInput, batch: number, first: number, count: number, chunk: number): BatchInput {
  if (input.dims.length === 0) return input;
  const perSample = input.data.length / batch;
  const Ctor = input.data.constructor as new (length: number) => BatchInput['data'];
  const data = new Ctor(chunk * perSample);
  (data as Float32Array).set(input.data.subarray(first * perSample, (first + count) * perSample) as Float32Array);
  return { data, dims: [chunk, ...input.dims.slice(1)] };
}
