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
  encode: 'encodeMs',
  unet: 'unetMs',
  decode: 'decodeMs',
  ensemble: 'ensembleMs',
  total: 'totalMs',
} as const satisfies Record<string, keyof StageTimings>;

export interface FrameInference {
  source: Prediction;
  /** Null when the editor is off. */
  edited: Prediction | null;
  /** Equals `source` when the editor is off. */
  ensemble: Prediction;
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
  /** Edited image at the editor's size, packed rgb24; null when the editor is off. */
  editedImage: { width: number; height: number; data: Uint8Array } | null;
  timings: StageTimings;
}

export const ENSEMBLE_MODES = ['sum', 'confidence', 'entropy'] as const;
export type EnsembleMode = (typeof ENSEMBLE_MODES)[number];
