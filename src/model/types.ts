/** What the inference engine reports for one frame. */

export interface ClassScore {
  label: string;
  index: number;
  probability: number;
}

export interface Prediction {
  /** Arg-max label and its probability. */
  label: string;
  index: number;
  confidence: number;
  /** The k most probable classes, most probable first. */
  topk: ClassScore[];
}

/** Milliseconds spent per stage for the batch this frame was in (shared by the frames of a batch). */
export interface StageTimings {
  queueMs: number;
  preprocessMs: number;
  classifyMs: number;
  /** The corruption gate's scoring (0 without a gate). */
  gateMs: number;
  encodeMs: number;
  unetMs: number;
  decodeMs: number;
  ensembleMs: number;
  totalMs: number;
  batchSize: number;
}

/** StageTimings fields by stage name: the `stage` label of the metrics and the benchmark's columns. */
export const STAGE_TIMING_FIELDS = {
  queue: 'queueMs',
  preprocess: 'preprocessMs',
  classify: 'classifyMs',
  gate: 'gateMs',
  encode: 'encodeMs',
  unet: 'unetMs',
  decode: 'decodeMs',
  ensemble: 'ensembleMs',
  total: 'totalMs',
} as const satisfies Record<string, keyof StageTimings>;

/** What the corruption gate said about a frame. */
export interface GateResult {
  /**
   * How corrupted the frame looks, 0..1 (the bundle's gate model); null: not scored, its stream
   * was scored less than gateSmoothing.scoreEveryMs before (the stream's `level` stands).
   */
  score: number | null;
  /** The editor ran on this frame. */
  active: boolean;
  /** Set by the frame flow's per-stream gate: the stream's smoothed score after this frame. */
  level?: number;
  /** Set by the per-stream gate: the stream's next frames are edited (null: each frame decides, as after a discontinuity). */
  streamActive?: boolean | null;
}

export interface FrameInference {
  source: Prediction;
  /** Null when the editor is off, or the gate skipped it for this frame. */
  edited: Prediction | null;
  /** Equals `source` when the editor is off or skipped. */
  ensemble: Prediction;
  /** Null when the bundle has no gate (or the editor is off): then the editor runs on every frame. */
  gate: GateResult | null;
  /** The ensemble's whole class distribution, index order (what temporal smoothing averages). */
  distribution: Float32Array;
  /** Set by the frame flow's smoothing stage: the stream's smoothed label, when smoothing is on. */
  smoothed?: Prediction;
  /** Set by the smoothing stage: the reported label differs from the stream's previous frame's. */
  labelChanged?: boolean;
  /** Set by motion gating: this frame was not inferred; it carries the result of an earlier, similar frame. */
  reused?: boolean;
  /** With `reused`: how old that result is (capture time of its frame to this one's), ms. */
  resultAgeMs?: number;
  /** Edited image at the editor's size, packed rgb24; null when the editor is off or skipped. */
  editedImage: { width: number; height: number; data: Uint8Array } | null;
  timings: StageTimings;
}

/**
 * How the source and edited predictions are combined: 'learned' weighs them per frame by the
 * editor's fitted ensemble rule (manifest `ensembleRule`; bundles without one, or without a gate,
 * use 'sum'); 'sum', 'confidence' and 'entropy' as in DDA (src/model/ensemble.ts).
 */
export const ENSEMBLE_MODES = ['learned', 'sum', 'confidence', 'entropy'] as const;
export type EnsembleMode = (typeof ENSEMBLE_MODES)[number];

/**
 * The corruption gate: 'auto' runs the editor only on frames the gate finds corrupted (per frame,
 * or as the frame says: the flow's per-stream decision); 'off' edits every frame. Bundles without a
 * gate edit every frame either way.
 */
export const GATE_MODES = ['off', 'auto'] as const;
export type GateMode = (typeof GATE_MODES)[number];

/** Batches up to this size run on each CPU model's one-thread session by default (SessionConfig.oneThreadMaxBatch in onnx-model.ts). */
export const DEFAULT_ONE_THREAD_MAX_BATCH = 2;
