/**
 * One batch through the whole method, worker-side:
 *   frames -> resize + normalise -> classifier(original)
 *   frames -> resize to the VAE size, [-1,1] -> encode -> sample -> decode -> rgb24 (edited image)
 *   edited rgb24 -> resize + normalise -> classifier(edited) -> ensemble
 * The classifier sees the edited image as the 8-bit picture that is shown to users, so what is
 * displayed and what is classified are the same thing.
 */
import type { ModelBundle } from './bundle.js';
import { predictFrame, type FramePredictions } from './ensemble.js';
import { LatentEditor } from './latent-editor.js';
import type { EditorNoiseSource } from './noise.js';
import { classifierAffine, planarToRgb24, rgb24ToPlanar, VAE_AFFINE, type ChannelAffine, type Size } from './preprocess.js';
import type { EnsembleMode, StageTimings } from './types.js';

export interface InputFrame {
  streamId: string;
  width: number;
  height: number;
  /** Packed rgb24. */
  data: Uint8Array;
}

export interface BatchInferenceOptions {
  steps?: number;
  noiseSeed: number;
  editorNoise: EditorNoiseSource;
  ensemble: EnsembleMode;
  topK: number;
}

/** Stage timings a batch measures; the caller adds queueMs and totalMs. */
export type BatchTimings = Omit<StageTimings, 'queueMs' | 'totalMs'>;

export interface BatchResult {
  frames: Array<FramePredictions & { editedImage: Uint8Array | null }>;
  timings: BatchTimings;
}

export class BatchInference {
  readonly bundle: ModelBundle;
  /** Null when the editor is off. */
  readonly editor: LatentEditor | null;
  readonly ensemble: EnsembleMode;
  readonly topK: number;
  #classifierAffine: ChannelAffine;

  private constructor(bundle: ModelBundle, editor: LatentEditor | null, options: BatchInferenceOptions) {
    this.bundle = bundle;
    this.editor = editor;
    this.ensemble = options.ensemble;
    this.topK = options.topK;
    const { mean, std } = bundle.manifest.classifier.normalization;
    this.#classifierAffine = classifierAffine(mean, std);
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
    const batch = frames.length;
    const { manifest, classifier } = this.bundle;
    const cls = manifest.classifier;
    const labels = manifest.labels;
    const k = labels.length;
    const timings: BatchTimings = {
      preprocessMs: 0, classifyMs: 0, encodeMs: 0, unetMs: 0, decodeMs: 0, ensembleMs: 0, batchSize: batch,
    };
    const clock = stopwatch();

    const classify = async (images: readonly { size: Size; data: Uint8Array }[]): Promise<Float32Array> => {
      const plane = 3 * cls.inputSize.width * cls.inputSize.height;
      const input = new Float32Array(batch * plane);
      images.forEach((img, b) => rgb24ToPlanar(img.data, img.size, input, b * plane, cls.inputSize, cls.resize, this.#classifierAffine));
      timings.preprocessMs += clock.lap();
      const dims = [batch, 3, cls.inputSize.height, cls.inputSize.width];
      const io = this.bundle.classifierIo;
      const logits = await classifier.run({ [io.input]: { data: input, dims } }, io.output, batch, k);
      timings.classifyMs += clock.lap();
      return logits;
    };

    const sourceLogits = await classify(frames.map((f) => ({ size: f, data: f.data })));

    let editedLogits: Float32Array | null = null;
    let editedImages: Uint8Array[] | null = null;
    if (this.editor) {
      const vae = manifest.vae;
      const plane = 3 * vae.inputSize.width * vae.inputSize.height;
      const vaeInput = new Float32Array(batch * plane);
      frames.forEach((f, b) => rgb24ToPlanar(f.data, f, vaeInput, b * plane, vae.inputSize, vae.resize, VAE_AFFINE));
      timings.preprocessMs += clock.lap();

      const cond = await this.editor.encode(vaeInput, batch);
      timings.encodeMs += clock.lap();
      const latents = await this.editor.sample(cond, frames.map((f) => f.streamId));
      timings.unetMs += clock.lap();
      const decoded = await this.editor.decode(latents, batch);
      const images = frames.map((_, b) => planarToRgb24(decoded, b * plane, vae.inputSize));
      timings.decodeMs += clock.lap();

      editedImages = images;
      editedLogits = await classify(images.map((data) => ({ size: vae.inputSize, data })));
    }

    const results = frames.map((_, b) => ({
      ...predictFrame(
        sourceLogits.subarray(b * k, (b + 1) * k),
        editedLogits ? editedLogits.subarray(b * k, (b + 1) * k) : null,
        labels,
        this.ensemble,
        this.topK,
      ),
      editedImage: editedImages ? editedImages[b] : null,
    }));
    timings.ensembleMs += clock.lap();
    return { frames: results, timings };
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
