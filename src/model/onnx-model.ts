/**
 * One ONNX model file behind an onnxruntime session: execution-provider fallback at open time,
 * tensor metadata look-ups for validation, and batch-first runs (split into chunks when the model
 * was exported with a fixed batch size).
 *
 * Only the inference worker may import this module: onnxruntime must live in one thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { BundleError, ProviderError } from './errors.js';

export interface SessionConfig {
  /** Execution providers in order of preference, e.g. ['cuda', 'cpu']. */
  providers: readonly string[];
  intraOpThreads?: number;
  log: (message: string) => void;
  /**
   * Calibration (`decorruptor bundle calibrate`): when set, every run fetches all the model's
   * outputs (extra ones included) and hands them over with its inputs and file after the run.
   */
  observe?: (file: string, outputs: Readonly<Record<string, ort.Tensor>>) => void;
}

export type TensorMeta = ort.InferenceSession.TensorValueMetadata;

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
        };
        // onnxruntime-node rejects an explicit undefined here.
        if (config.intraOpThreads !== undefined) options.intraOpNumThreads = config.intraOpThreads;
        const session = await ort.InferenceSession.create(file, options);
        if (failures.length > 0) config.log(`${file}: using execution provider '${provider}'`);
        return new OnnxModel(file, provider, session, config.observe);
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
    if (chunk === null || chunk === batch) return this.#runOnce(inputs, output);

    // Fixed-batch export: run chunks of `chunk` samples, zero-padding the last one.
    const parts: Float32Array[] = [];
    let perSample = 0;
    for (let first = 0; first < batch; first += chunk) {
      const count = Math.min(chunk, batch - first);
      const feeds: Record<string, BatchInput> = {};
      for (const [name, input] of Object.entries(inputs)) feeds[name] = sliceBatch(input, batch, first, count, chunk);
      const out = await this.#runOnce(feeds, output);
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

  async #runOnce(inputs: Record<string, BatchInput>, output: string): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) feeds[name] = new ort.Tensor(input.data, input.dims);
    const results = this.#observe ? await this.#session.run(feeds) : await this.#session.run(feeds, [output]);
    this.#observe?.(this.file, { ...feeds, ...results });
    const tensor = results[output];
    if (!tensor || !(tensor.data instanceof Float32Array)) {
      throw new TypeError(`${this.file}: output '${output}' is missing or not float32`);
    }
    return tensor.data;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

function sliceBatch(input: BatchInput, batch: number, first: number, count: number, chunk: number): BatchInput {
  if (input.dims.length === 0) return input;
  const perSample = input.data.length / batch;
  const Ctor = input.data.constructor as new (length: number) => BatchInput['data'];
  const data = new Ctor(chunk * perSample);
  (data as Float32Array).set(input.data.subarray(first * perSample, (first + count) * perSample) as Float32Array);
  return { data, dims: [chunk, ...input.dims.slice(1)] };
}
