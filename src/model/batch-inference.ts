/**
 * One batch through the whole method, worker-side:
 *   frames -> resize + normalise -> classifier(original)
 *   frames -> resize + normalise -> corruption gate -> score (bundles with a gate)
 *   the frames to edit -> resize to the VAE size, [-1,1]
 *     (-> flat pictures' contrast stretched, for bundles with a contrastStretch) -> encode -> sample -> decode
 *     (+ the detail the VAE loses of the input, for bundles with a detailResidual) -> rgb24 (edited image)
 *   edited rgb24 -> resize + normalise -> classifier(edited) -> ensemble
 * Which frames are edited: every one with the gate off or without a gate model; else each frame's
 * own `edit` (the stream's decision, made upstream), or, where it has none, its score against the
 * threshold. A frame that is not edited answers with the source prediction. A frame that brings its
 * stream's `gateLevel` is not scored (its stream was scored a moment ago): the level stands in.
 * The classifier sees the edited image as the 8-bit picture that is shown to users, so what is
 * displayed and what is classified are the same thing. Each frame is resized once per model size
 * and resampling (ResizedFrames): the classifier, the gate and the VAE normalise the same planes.
 */
import type { ModelBundle } from './bundle.js';
import type { ContrastStretch, DetailResidual, EnsembleRule } from './manifest.js';
import { stretchContrast } from './contrast-stretch.js';
import { addDetailResidual } from './detail-residual.js';
import { predictFrame, type FramePredictions } from './ensemble.js';
import { LatentEditor } from './latent-editor.js';
import type { EditorNoiseSource } from './noise.js';
import { classifierAffine, planarToRgb24, rgb24ToPlanar, VAE_AFFINE, type ChannelAffine, type Size } from './preprocess.js';
import { PlanePool, ResizedFrames } from './resized-frames.js';
import type { EnsembleMode, GateMode, GateResult, StageTimings } from './types.js';

export interface InputFrame {
  streamId: string;
  width: number;
  height: number;
  /** Packed rgb24. */
  data: Uint8Array;
  /** The stream's gate decision; absent: this frame's own score decides. */
  edit?: boolean;
  /** The stream's smoothed gate score, sent with `edit` when the stream need not be scored again yet: the gate skips this frame. */
  gateLevel?: number;
}

export interface BatchInferenceOptions {
  steps?: number;
  noiseSeed: number;
  editorNoise: EditorNoiseSource;
  ensemble: EnsembleMode;
  topK: number;
  /** Default 'auto'. */
  gate?: GateMode;
  /** Overrides the bundle's gate threshold. */
  gateThreshold?: number;
}

/** Stage timings a batch measures; the caller adds queueMs and totalMs. */
export type BatchTimings = Omit<StageTimings, 'queueMs' | 'totalMs'>;

export interface BatchResult {
  frames: Array<FramePredictions & { editedImage: Uint8Array | null; gate: GateResult | null }>;
  timings: BatchTimings;
}

export class BatchInference {
  readonly bundle: ModelBundle;
  /** Null when the editor is off. */
  readonly editor: LatentEditor | null;
  /** The ensemble in use ('learned' asked of a bundle without a rule or a gate is 'sum'). */
  readonly ensemble: EnsembleMode;
  readonly topK: number;
  /** The gate in use: its mode and threshold; null without a gate model (every frame edited). */
  readonly gate: { mode: GateMode; threshold: number } | null;
  #classifierAffine: ChannelAffine;
  #gateAffine: ChannelAffine | null;
  #rule: EnsembleRule | null;
  /** The editor's detail residual (manifest), or null: the edit is the decoded latent. */
  #detailResidual: DetailResidual | null;
  /** The stretch of flat pictures before the edit (manifest), or null: the editor sees the frame as it came. */
  #contrastStretch: ContrastStretch | null;
  readonly #planePool = new PlanePool();

  private constructor(bundle: ModelBundle, editor: LatentEditor | null, options: BatchInferenceOptions) {
    this.bundle = bundle;
    this.editor = editor;
    this.topK = options.topK;
    const { mean, std } = bundle.manifest.classifier.normalization;
    this.#classifierAffine = classifierAffine(mean, std);
    const gate = bundle.gate?.spec;
    this.gate = gate ? { mode: options.gate ?? 'auto', threshold: options.gateThreshold ?? gate.threshold } : null;
    this.#gateAffine = gate ? classifierAffine(gate.normalization.mean, gate.normalization.std) : null;
    // The learned rule weighs the gate's score: without a rule or a gate, the equal-weight sum.
    this.#rule = options.ensemble === 'learned' && gate ? (bundle.editor?.ensembleRule ?? null) : null;
    this.ensemble = options.ensemble === 'learned' && !this.#rule ? 'sum' : options.ensemble;
    this.#detailResidual = editor ? (bundle.editor?.detailResidual ?? null) : null;
    this.#contrastStretch = editor ? (bundle.editor?.contrastStretch ?? null) : null;
  }

  static create(bundle: ModelBundle, options: BatchInferenceOptions): BatchInference {
    const editor = bundle.editor ? LatentEditor.create(bundle, options) : null;
    return new BatchInference(bundle, editor, options);
  }

  /** Size of the edited images (the VAE's), or null when the editor is off. */
  get editSize(): Size | null {
    return this.editor ? this.bundle.manifest.vae.inputSize : null;
  }

  async run(frames: readonly InputFrame[]): Promise<BatchResult> {
    const resized = new ResizedFrames(frames, this.#planePool);
    try {
      return await this.#run(frames, resized);
    } finally {
      resized.release();
    }
  }

  async #run(frames: readonly InputFrame[], resized: ResizedFrames): Promise<BatchResult> {
    const batch = frames.length;
    const { manifest, classifier } = this.bundle;
    const cls = manifest.classifier;
    const labels = manifest.labels;
    const k = labels.length;
    const timings: BatchTimings = {
      preprocessMs: 0, classifyMs: 0, gateMs: 0, encodeMs: 0, unetMs: 0, decodeMs: 0, ensembleMs: 0, batchSize: batch,
    };
    const clock = stopwatch();

    const classify = async (input: Float32Array, n: number): Promise<Float32Array> => {
      const dims = [n, 3, cls.inputSize.height, cls.inputSize.width];
      const io = this.bundle.classifierIo;
      const logits = await classifier.run({ [io.input]: { data: input, dims } }, io.output, n, k);
      timings.classifyMs += clock.lap();
      return logits;
    };

    const sourceInput = resized.tensor(frames.map((_, b) => b), cls.inputSize, cls.resize, this.#classifierAffine);
    timings.preprocessMs += clock.lap();
    const sourceLogits = await classify(sourceInput, batch);
    const scores = await this.#score(frames, resized, timings, clock);
    const editing = frames.map((f, b) => this.#decide(f, scores ? scores[b] : undefined));

    // The editor runs on the frames to edit only: a batch of those.
    const toEdit = frames.flatMap((_, b) => (editing[b] ? [b] : []));
    const editedLogitsOf = new Map<number, Float32Array>();
    const editedImageOf = new Map<number, Uint8Array>();
    if (this.editor && toEdit.length > 0) {
      const n = toEdit.length;
      const vae = manifest.vae;
      const vaeInput = resized.tensor(toEdit, vae.inputSize, vae.resize, VAE_AFFINE);
      if (this.#contrastStretch) stretchContrast(vaeInput, n, vae.inputSize, this.#contrastStretch);
      timings.preprocessMs += clock.lap();

      const cond = await this.editor.encode(vaeInput, n);
      timings.encodeMs += clock.lap();
      const latents = await this.editor.sample(cond, toEdit.map((b) => frames[b]!.streamId));
      timings.unetMs += clock.lap();
      const decoded = await this.editor.decode(latents, n);
      if (this.#detailResidual) addDetailResidual(decoded, vaeInput, await this.editor.decode(cond, n), n, vae.inputSize, this.#detailResidual);
      const plane = 3 * vae.inputSize.width * vae.inputSize.height;
      const images = toEdit.map((_, i) => planarToRgb24(decoded, i * plane, vae.inputSize));
      timings.decodeMs += clock.lap();

      const clsPlane = 3 * cls.inputSize.width * cls.inputSize.height;
      const editedInput = new Float32Array(n * clsPlane);
      images.forEach((data, i) => rgb24ToPlanar(data, vae.inputSize, editedInput, i * clsPlane, cls.inputSize, cls.resize, this.#classifierAffine));
      timings.preprocessMs += clock.lap();
      const editedLogits = await classify(editedInput, n);
      toEdit.forEach((b, i) => {
        editedImageOf.set(b, images[i]);
        editedLogitsOf.set(b, editedLogits.subarray(i * k, (i + 1) * k));
      });
    }

    const results = frames.map((_, b) => ({
      ...predictFrame(sourceLogits.subarray(b * k, (b + 1) * k), editedLogitsOf.get(b) ?? null, labels, this.ensemble, this.topK,
        this.#rule && scores ? { rule: this.#rule, gateScore: scores[b] ?? frames[b]!.gateLevel! } : undefined),
      editedImage: editedImageOf.get(b) ?? null,
      gate: scores ? { score: scores[b]!, active: editedLogitsOf.has(b) } : null,
    }));
    timings.ensembleMs += clock.lap();
    return { frames: results, timings };
  }

  /** The gate's score per frame (null for the frames that bring their stream's level), or null without a gate model. */
  async #score(frames: readonly InputFrame[], resized: ResizedFrames, timings: BatchTimings, clock: { lap(): number }): Promise<(number | null)[] | null> {
    const gate = this.bundle.gate;
    if (!gate || !this.#gateAffine) return null;
    const scored = frames.flatMap((f, b) => (f.gateLevel === undefined ? [b] : []));
    const scores: (number | null)[] = frames.map(() => null);
    if (scored.length === 0) return scores;
    const { inputSize, resize } = gate.spec;
    const input = resized.tensor(scored, inputSize, resize, this.#gateAffine);
    timings.preprocessMs += clock.lap();
    const dims = [scored.length, 3, inputSize.height, inputSize.width];
    const out = await gate.model.run({ [gate.io.input]: { data: input, dims } }, gate.io.output, scored.length, 1);
    scored.forEach((b, i) => (scores[b] = out[i]!));
    timings.gateMs += clock.lap();
    return scores;
  }

  /** Whether the editor runs on a frame (see the top of this file); `score` undefined: no gate model. */
  #decide(frame: InputFrame, score: number | null | undefined): boolean {
    if (!this.editor) return false;
    if (!this.gate || this.gate.mode === 'off' || score === undefined) return true;
    // Only frames that bring the stream's decision come unscored (gateLevel).
    return frame.edit ?? (score !== null && score >= this.gate.threshold);
  }
}

function stopwatch(): { lap(): number } {
  let last = performance.now();
  return {
    lap() {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      return elapsed;
    },
  };
}
