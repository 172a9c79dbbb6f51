/**
 * The editor of one bundle configuration: VAE encode, latent sampling (consistency or DDIM), VAE
 * decode, on the bundle's onnxruntime sessions. Worker-side only.
 */
import { EngineError } from './errors.js';
import type { ModelBundle, UnetIo, VaeIo } from './bundle.js';
import type { ConsistencyEditorSpec, DdimEditorSpec, Manifest } from './manifest.js';
import { alphasCumprod } from './noise-schedule.js';
import { StreamNoise, type EditorNoise, type EditorNoiseSource } from './noise.js';
import type { BatchInput, OnnxModel } from './onnx-model.js';
import { ddimTimesteps, sampleDdim } from './samplers/ddim.js';
import { lcmTimesteps, sampleLcm } from './samplers/lcm.js';

export interface LatentEditorOptions {
  /** NFEs; defaults to the editor's manifest steps. */
  steps?: number;
  /** Base seed of the per-stream noise. */
  noiseSeed: number;
  /** 'bundle': the manifest's pinned noise when it has one, else per-stream. */
  editorNoise: EditorNoiseSource;
}

export class LatentEditor {
  readonly kind: 'consistency' | 'ddim-ip2p';
  readonly steps: number;
  readonly timesteps: readonly number[];
  /** The noise in use: the bundle's pinned seed, or the base seed of each stream's own. */
  readonly noise: EditorNoise;
  #manifest: Manifest;
  #encoder: OnnxModel;
  #decoder: OnnxModel;
  #unet: OnnxModel;
  #vaeIo: VaeIo;
  #unetIo: UnetIo;
  #spec: ConsistencyEditorSpec | DdimEditorSpec;
  #alphasCumprod: Float64Array;
  #noise: StreamNoise;
  #latentSize: number;

  private constructor(
    bundle: ModelBundle,
    models: NonNullable<ModelBundle['edit']>,
    spec: ConsistencyEditorSpec | DdimEditorSpec,
    steps: number,
    timesteps: readonly number[],
    noise: Pick<LatentEditorOptions, 'noiseSeed' | 'editorNoise'>,
  ) {
    this.#manifest = bundle.manifest;
    this.#spec = spec;
    this.kind = spec.kind;
    this.steps = steps;
    this.timesteps = timesteps;
    this.#encoder = models.encoder;
    this.#decoder = models.decoder;
    this.#unet = models.unet;
    this.#vaeIo = models.vaeIo;
    this.#unetIo = models.unetIo;
    this.#alphasCumprod = alphasCumprod(bundle.manifest.noiseSchedule);
    const [c, h, w] = bundle.manifest.vae.latentShape;
    this.#latentSize = c * h * w;
    // LCM draws fresh noise before every step but the first; DDIM (eta 0) only starts from noise.
    const count = this.kind === 'consistency' ? steps : 1;
    const sharedSeed = noise.editorNoise === 'bundle' ? spec.noiseSeed : undefined;
    this.#noise = new StreamNoise({ baseSeed: noise.noiseSeed, sharedSeed, count, length: this.#latentSize });
    this.noise = sharedSeed === undefined ? { source: 'per-stream', seed: noise.noiseSeed } : { source: 'bundle', seed: sharedSeed };
  }

  /** Checks the step count for the bundle's editor and derives its timesteps. */
  static create(bundle: ModelBundle, options: LatentEditorOptions): LatentEditor {
    const spec = bundle.editor;
    const models = bundle.edit;
    if (!spec || !models) throw new EngineError('ENGINE_OPTIONS_INVALID', 'the bundle was opened without an editor');
    const numTrain = bundle.manifest.noiseSchedule.numTrainTimesteps;
    const steps = options.steps ?? spec.steps;
    if (spec.kind === 'consistency') {
      if (!Number.isInteger(steps) || steps < 1 || steps > 8) {
        throw new EngineError('ENGINE_OPTIONS_INVALID', `consistency editor '${bundle.editorName}' takes 1-8 steps, got ${steps}`);
      }
      // The manifest's explicit timesteps serve their own step count; others follow the LCM schedule.
      const timesteps = spec.timesteps && spec.timesteps.length === steps ? spec.timesteps : lcmTimesteps(steps, spec.originalSteps, numTrain);
      return new LatentEditor(bundle, models, spec, steps, timesteps, options);
    }
    if (!Number.isInteger(steps) || steps < 1 || steps > Math.min(100, numTrain)) {
      throw new EngineError('ENGINE_OPTIONS_INVALID', `DDIM editor '${bundle.editorName}' takes 1-100 steps, got ${steps}`);
    }
    return new LatentEditor(bundle, models, spec, steps, ddimTimesteps(steps, numTrain), options);
  }

  /** Images [B,3,H,W] in [-1,1] at vae.inputSize -> unscaled condition latents [B,C,h,w]. */
  async encode(images: Float32Array, batch: number): Promise<Float32Array> {
    const vae = this.#manifest.vae;
    const dims = [batch, 3, vae.inputSize.height, vae.inputSize.width];
    const io = this.#vaeIo;
    return this.#encoder.run({ [io.encoderInput]: { data: images, dims } }, io.encoderOutput, batch, this.#latentSize);
  }

  /** Condition latents -> edited latents, unscaled (ready for the decoder). */
  async sample(cond: Float32Array, streamIds: readonly string[]): Promise<Float32Array> {
    const noise = this.#noise.batch(streamIds);
    let scaled: Float32Array;
    if (this.#spec.kind === 'consistency') {
      const spec = this.#spec;
      scaled = await sampleLcm(
        (sample, c, t, guidance) => this.#runUnet(sample, c, t, guidance),
        cond,
        {
          alphasCumprod: this.#alphasCumprod,
          timesteps: this.timesteps,
          guidance: spec.guidanceScale,
          sigmaData: spec.sigmaData,
          timestepScaling: spec.timestepScaling,
          noise,
        },
      );
    } else {
      const spec = this.#spec;
      scaled = await sampleDdim((sample, c, t) => this.#runUnet(sample, c, t, null), cond, {
        alphasCumprod: this.#alphasCumprod,
        numTrainTimesteps: this.#manifest.noiseSchedule.numTrainTimesteps,
        steps: this.steps,
        imageGuidance: spec.imageGuidance,
        setAlphaToOne: spec.setAlphaToOne,
        noise: noise[0],
      });
    }
    const inverse = 1 / this.#manifest.vae.scaleFactor;
    for (let i = 0; i < scaled.length; i++) scaled[i] *= inverse;
    return scaled;
  }

  /** Unscaled latents -> images [B,3,H,W] in [-1,1]. */
  async decode(latents: Float32Array, batch: number): Promise<Float32Array> {
    const vae = this.#manifest.vae;
    const imageSize = 3 * vae.inputSize.width * vae.inputSize.height;
    const io = this.#vaeIo;
    return this.#decoder.run({ [io.decoderInput]: { data: latents, dims: [batch, ...vae.latentShape] } }, io.decoderOutput, batch, imageSize);
  }

  async #runUnet(sample: Float32Array, cond: Float32Array, timestep: number, guidance: number | null): Promise<Float32Array> {
    const io = this.#unetIo;
    const batch = sample.length / this.#latentSize;
    const dims = [batch, ...this.#manifest.vae.latentShape];
    const feeds: Record<string, BatchInput> = {
      [io.sample]: { data: sample, dims },
      [io.cond]: { data: cond, dims },
      [io.timestep]: this.#scalarInput(io.timestep, timestep, batch),
    };
    if (guidance !== null && io.guidance !== null) feeds[io.guidance] = this.#scalarInput(io.guidance, guidance, batch);
    return this.#unet.run(feeds, io.output, batch, this.#latentSize);
  }

  /** A per-sample scalar [B] in the tensor type the unet declares (checked by the bundle). */
  #scalarInput(name: string, value: number, batch: number): BatchInput {
    const dims = [batch];
    switch (this.#unet.tensorMeta('input', name)?.type) {
      case 'int64':
        return { data: new BigInt64Array(batch).fill(BigInt(Math.round(value))), dims };
      case 'int32':
        return { data: new Int32Array(batch).fill(Math.round(value)), dims };
      default:
        return { data: new Float32Array(batch).fill(value), dims };
    }
  }
}
