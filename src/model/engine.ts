/**
 * InferenceEngine: the main thread's handle on the inference worker. It never touches onnxruntime
 * itself, so the event loop stays free while a batch runs (onnxruntime-node's run() blocks the
 * thread it runs on).
 *
 *   const engine = await InferenceEngine.create({ bundleDir: 'models/cifar10', editor: 'cm' });
 *   const results = await engine.infer(frames); // one FrameInference per frame, same order
 *   await engine.close();
 */
import type { Worker } from 'node:worker_threads';
import { moduleBeside, startWorker } from './start-worker.js';
import { DEFAULT_ONE_THREAD_MAX_BATCH, ENSEMBLE_MODES, GATE_MODES } from './types.js';
import { deserializeError, EngineError } from './errors.js';
import { EDITOR_NOISE_SOURCES, type EditorNoiseSource } from './noise.js';
import { PRECISIONS, type Precision } from './precision.js';
import type { Frame } from '../stream/frame.js';
import type { EnsembleMode, FrameInference, GateMode } from './types.js';
import { absoluteNow, type EngineInfo, type FromWorker, type ToWorker, type WireFrame, type WorkerInit } from './worker-protocol.js';

export type { EngineInfo } from './worker-protocol.js';

export interface InferenceEngineOptions {
  /** Folder holding manifest.json and the ONNX files. */
  bundleDir: string;
  /** A key of the manifest's editors (e.g. 'cm', 'dpm'), or 'none' for the classifier alone. */
  editor: string;
  /** Sampling steps; default: the editor's manifest steps (consistency: 1-8). */
  steps?: number;
  /** Execution providers in order of preference; default ['cpu']. */
  providers?: string[];
  /** Default 'sum'. */
  ensemble?: EnsembleMode;
  /** Classes listed per prediction; default 5 (at most the number of labels). */
  topK?: number;
  /** onnxruntime intra-op threads per session; default: the physical cores (cpu-features.ts). */
  intraOpThreads?: number;
  /** Largest batch a CPU model runs on its one-thread session: a number (default 2; 0: none) or 'auto' (measured). */
  oneThreadMaxBatch?: 'auto' | number;
  /** fp32 (default), int8 or auto: see src/model/precision.ts. */
  precision?: Precision;
  /**
   * 'bundle' (default): every stream samples with the noise the manifest pins (chosen on
   * validation); bundles that pin none fall back to 'per-stream'. 'per-stream': each stream its
   * own noise, derived from its id and noiseSeed.
   */
  editorNoise?: EditorNoiseSource;
  /** Base seed of the per-stream editor noise; default 0. */
  noiseSeed?: number;
  /**
   * The corruption gate (bundles that have one): 'auto' (default) edits a frame only when the
   * frame says so (Frame.edit, the flow's per-stream decision) or, without a say, when its own
   * score reaches the threshold; 'off' edits every frame.
   */
  gate?: GateMode;
  /** Overrides the bundle's gate threshold (0..1). */
  gateThreshold?: number;
  log?: (message: string) => void;
  /** Alternative worker script speaking worker-protocol.ts (tests). */
  workerUrl?: URL;
}

interface PendingCall {
  resolve: (results: FrameInference[]) => void;
  reject: (error: Error) => void;
}

/** Milliseconds close() waits for the worker to finish its queue before terminating it. */
const CLOSE_TIMEOUT_MS = 30_000;

function validateOptions(options: InferenceEngineOptions): WorkerInit {
  const invalid = (message: string) => new EngineError('ENGINE_OPTIONS_INVALID', message);
  if (typeof options.bundleDir !== 'string' || options.bundleDir.length === 0) throw invalid('bundleDir must be a folder path');
  if (typeof options.editor !== 'string' || options.editor.length === 0) throw invalid("editor must be an editor name or 'none'");
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) throw invalid(`steps must be a positive integer, got ${options.steps}`);
  const providers = options.providers ?? ['cpu'];
  if (!Array.isArray(providers) || providers.length === 0 || providers.some((p) => typeof p !== 'string' || p.length === 0)) {
    throw invalid('providers must be a non-empty list of execution provider names');
  }
  const ensemble = options.ensemble ?? 'sum';
  if (!ENSEMBLE_MODES.includes(ensemble)) throw invalid(`ensemble must be one of ${ENSEMBLE_MODES.join(', ')}, got ${String(ensemble)}`);
  const topK = options.topK ?? 5;
  if (!Number.isInteger(topK) || topK < 1) throw invalid(`topK must be a positive integer, got ${topK}`);
  const editorNoise = options.editorNoise ?? 'bundle';
  if (!EDITOR_NOISE_SOURCES.includes(editorNoise)) throw invalid(`editorNoise must be one of ${EDITOR_NOISE_SOURCES.join(', ')}, got ${String(editorNoise)}`);
  if (options.intraOpThreads !== undefined && (!Number.isInteger(options.intraOpThreads) || options.intraOpThreads < 1)) {
    throw invalid(`intraOpThreads must be a positive integer, got ${options.intraOpThreads}`);
  }
  const oneThreadMaxBatch = options.oneThreadMaxBatch ?? DEFAULT_ONE_THREAD_MAX_BATCH;
  if (oneThreadMaxBatch !== 'auto' && !(Number.isInteger(oneThreadMaxBatch) && oneThreadMaxBatch >= 0)) {
    throw invalid(`oneThreadMaxBatch must be 'auto' or a non-negative integer, got ${String(oneThreadMaxBatch)}`);
  }
  const precision = options.precision ?? 'fp32';
  if (!PRECISIONS.includes(precision)) throw invalid(`precision must be one of ${PRECISIONS.join(', ')}, got ${String(precision)}`);
  const gate = options.gate ?? 'auto';
  if (!GATE_MODES.includes(gate)) throw invalid(`gate must be one of ${GATE_MODES.join(', ')}, got ${String(gate)}`);
  if (options.gateThreshold !== undefined && !(options.gateThreshold >= 0 && options.gateThreshold <= 1)) {
    throw invalid(`gateThreshold must be in [0, 1], got ${options.gateThreshold}`);
  }
  return {
    bundleDir: options.bundleDir,
    editor: options.editor,
    steps: options.steps,
    providers: [...providers],
    ensemble,
    topK,
    intraOpThreads: options.intraOpThreads,
    oneThreadMaxBatch,
    precision,
    noiseSeed: options.noiseSeed ?? 0,
    editorNoise,
    gate,
    gateThreshold: options.gateThreshold,
  };
}

function checkFrame(frame: Frame, index: number): void {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EngineError('ENGINE_FRAME_INVALID', `frame ${index} (${frame.streamId}#${frame.seq}) has size ${width}x${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 3) {
    throw new EngineError('ENGINE_FRAME_INVALID', `frame ${index} (${frame.streamId}#${frame.seq}) holds ${data?.length} bytes, expected ${width}x${height}x3 = ${width * height * 3}`);
  }
}

/** Copies the frames' pixels into one transferable buffer, so the callers' frames stay intact. */
function packFrames(frames: readonly Frame[]): { wire: WireFrame[]; pixels: ArrayBuffer } {
  const total = frames.reduce((sum, f) => sum + f.data.length, 0);
  const pixels = new ArrayBuffer(total);
  const view = new Uint8Array(pixels);
  let offset = 0;
  const wire = frames.map((f) => {
    view.set(f.data, offset);
    const entry: WireFrame = { streamId: f.streamId, width: f.width, height: f.height, byteOffset: offset, byteLength: f.data.length };
    if (f.edit !== undefined) entry.edit = f.edit;
    if (f.gateLevel !== undefined) entry.gateLevel = f.gateLevel;
    offset += f.data.length;
    return entry;
  });
  return { wire, pixels };
}

export class InferenceEngine {
  #worker: Worker;
  #info: EngineInfo;
  #log: (message: string) => void;
  #pending = new Map<number, PendingCall>();
  #nextId = 1;
  /** Set once the engine can take no more work: why, as the error new calls get. */
  #dead: EngineError | null = null;
  #closing: Promise<void> | null = null;

  private constructor(worker: Worker, info: EngineInfo, log: (message: string) => void) {
    this.#worker = worker;
    this.#info = info;
    this.#log = log;
    worker.on('message', (message: FromWorker) => this.#onMessage(message));
    worker.on('error', (error) => this.#onCrash(`inference worker crashed: ${error.message}`, error));
    worker.on('messageerror', (error) => this.#onCrash(`inference worker sent an unreadable message: ${error.message}`, error));
    worker.on('exit', (code) => this.#onCrash(`inference worker exited (code ${code})`));
    this.#updateRef();
  }

  /** Starts the worker and opens the bundle in it; rejects with the bundle's error if it cannot be used. */
  static async create(options: InferenceEngineOptions): Promise<InferenceEngine> {
    const init = validateOptions(options);
    const log = options.log ?? (() => {});
    const worker = startWorker(options.workerUrl ?? moduleBeside(import.meta.url, 'inference-worker'), init);

    const info = await new Promise<EngineInfo>((resolve, reject) => {
      const fail = (error: Error) => {
        cleanup();
        void worker.terminate();
        reject(error);
      };
      const onMessage = (message: FromWorker) => {
        if (message.type === 'log') log(message.message);
        else if (message.type === 'ready') {
          cleanup();
          resolve(message.info);
        } else if (message.type === 'init-error') fail(deserializeError(message.error));
      };
      const onError = (error: Error) => fail(new EngineError('ENGINE_WORKER_CRASHED', `inference worker failed to start: ${error.message}`, { cause: error }));
      const onExit = (code: number) => fail(new EngineError('ENGINE_WORKER_CRASHED', `inference worker exited during start-up (code ${code})`));
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
    const gate = info.gate ? `, gate ${info.gate.mode} (threshold ${info.gate.threshold})` : '';
    log(`inference engine ready: ${info.name} ${info.version}, editor ${info.editor}${info.editorKind ? ` (${info.editorKind}, ${info.steps} steps)` : ''}${gate}, provider ${info.provider}`);
    return new InferenceEngine(worker, info, log);
  }

  get info(): EngineInfo {
    return this.#info;
  }

  /** Batches sent to the worker and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Classifies (and edits) a batch of frames of any sizes and streams; resolves one result per
   * frame, in order. The frames are copied, not detached: callers keep using them.
   */
  infer(frames: readonly Frame[]): Promise<FrameInference[]> {
    if (this.#closing) return Promise.reject(new EngineError('ENGINE_CLOSED', 'the inference engine is closed'));
    if (this.#dead) return Promise.reject(this.#dead);
    if (frames.length === 0) return Promise.resolve([]);
    try {
      frames.forEach(checkFrame);
    } catch (error) {
      return Promise.reject(error);
    }
    const { wire, pixels } = packFrames(frames);
    const id = this.#nextId++;
    return new Promise<FrameInference[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#updateRef();
      this.#send({ type: 'infer', id, sentAt: absoluteNow(), frames: wire, pixels }, [pixels]);
    });
  }

  /** Lets the batches already sent finish, releases every session and stops the worker. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (this.#dead) return;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.ref();
    this.#send({ type: 'close' });
    const timer = setTimeout(() => {
      this.#log(`inference worker did not stop within ${CLOSE_TIMEOUT_MS} ms; terminating it`);
      void this.#worker.terminate();
    }, CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  #send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(message, transfer);
  }

  #onMessage(message: FromWorker): void {
    switch (message.type) {
      case 'log':
        this.#log(message.message);
        return;
      case 'result':
        this.#settle(message.id)?.resolve(message.results);
        return;
      case 'infer-error': {
        const cause = deserializeError(message.error);
        const error = new EngineError('ENGINE_INFERENCE_FAILED', `inference failed: ${cause.message}`, { cause });
        this.#settle(message.id)?.reject(error);
        return;
      }
      case 'closed':
        this.#dead = new EngineError('ENGINE_CLOSED', 'the inference engine is closed');
        return;
      default:
        return;
    }
  }

  #settle(id: number): PendingCall | undefined {
    const call = this.#pending.get(id);
    this.#pending.delete(id);
    this.#updateRef();
    return call;
  }

  /** The worker died (or exited): every pending and later call fails. */
  #onCrash(reason: string, cause?: unknown): void {
    if (this.#dead) return;
    this.#dead = new EngineError('ENGINE_WORKER_CRASHED', reason, { cause });
    if (this.#pending.size > 0) this.#log(`${reason}; failing ${this.#pending.size} pending batch(es)`);
    for (const call of this.#pending.values()) call.reject(this.#dead);
    this.#pending.clear();
  }

  /** An idle engine does not keep the process alive; one with work in flight does. */
  #updateRef(): void {
    if (this.#dead) return;
    if (this.#pending.size > 0 || this.#closing) this.#worker.ref();
    else this.#worker.unref();
  }
}
