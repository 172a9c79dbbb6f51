/**
 * Messages between InferenceEngine (main thread) and the inference worker.
 *
 * Start-up: the worker gets a WorkerInit as `workerData`, opens the bundle and answers `ready`
 * (with the engine info) or `init-error`, after which it exits.
 *
 * Per batch: the main thread copies the frames' pixels into ONE ArrayBuffer and transfers it with
 * an `infer` message (frames stay usable on the main thread; the copy is a memcpy of a few hundred
 * KB at most). The worker runs batches one at a time, in arrival order, and answers `result` (each
 * edited image in its own transferred ArrayBuffer) or `infer-error` with the same id.
 *
 * Shut-down: `close` is queued behind the batches already sent; the worker finishes them, releases
 * every session, answers `closed` and exits.
 *
 * Clocks: `sentAt` is performance.timeOrigin + performance.now() of the sending thread, comparable
 * across threads (each thread has its own timeOrigin).
 */
import type { SerializedError } from './errors.js';
import type { EditorNoise, EditorNoiseSource } from './noise.js';
import type { ModelPrecision, Precision } from './precision.js';
import type { Size } from './preprocess.js';
import type { EnsembleMode, FrameInference, GateMode } from './types.js';

export interface WorkerInit {
  bundleDir: string;
  editor: string;
  steps?: number;
  providers: string[];
  ensemble: EnsembleMode;
  topK: number;
  intraOpThreads?: number;
  oneThreadMaxBatch: 'auto' | number;
  precision: Precision;
  noiseSeed: number;
  editorNoise: EditorNoiseSource;
  gate: GateMode;
  gateThreshold?: number;
}

/** What the engine reports about itself (also the `ready` payload). */
export interface EngineInfo {
  /** Bundle name and version (manifest). */
  name: string;
  version: string;
  bundleDir: string;
  labels: string[];
  /** Editor name from the manifest, or 'none'. */
  editor: string;
  editorKind: 'consistency' | 'ddim-ip2p' | null;
  /** Unet evaluations per frame (DDIM: batches of 2); 0 when the editor is off. */
  steps: number;
  timesteps: number[];
  /** Execution provider of the editor's unet, or of the classifier when the editor is off. */
  provider: string;
  /** Execution provider per session: classifier, vaeEncoder, vaeDecoder, unet. */
  providers: Record<string, string>;
  /** The precision each session runs at, by the same roles. */
  precisions: Record<string, ModelPrecision>;
  /** The largest batch each session runs on one thread (0: none), by the same roles (SessionConfig.oneThreadMaxBatch). */
  oneThreadMaxBatch: Record<string, number>;
  /** Classifier input size. */
  inputSize: Size;
  /** Edited image size (the VAE's input size); null when the editor is off. */
  editSize: Size | null;
  ensemble: EnsembleMode;
  topK: number;
  /** The editor's noise; null when the editor is off. */
  noise: EditorNoise | null;
  /** The corruption gate: its mode and threshold; null when the bundle has none or the editor is off. */
  gate: { mode: GateMode; threshold: number } | null;
  /** Free-form facts from the manifest (accuracy, training...). */
  info?: Record<string, unknown>;
}

/** A frame inside the batch buffer of an `infer` message. */
export interface WireFrame {
  streamId: string;
  width: number;
  height: number;
  byteOffset: number;
  byteLength: number;
  /** The stream's gate decision (Frame.edit), when the flow made one. */
  edit?: boolean;
  /** The stream's smoothed gate score (Frame.gateLevel): this frame is not scored. */
  gateLevel?: number;
}

export type ToWorker =
  | { type: 'infer'; id: number; sentAt: number; frames: WireFrame[]; pixels: ArrayBuffer }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'log'; message: string }
  | { type: 'result'; id: number; results: FrameInference[] }
  | { type: 'infer-error'; id: number; error: SerializedError }
  | { type: 'closed' };

/** Absolute milliseconds, comparable between threads. */
export function absoluteNow(): number {
  return performance.timeOrigin + performance.now();
}
