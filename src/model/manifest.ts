/**
 * A model bundle is a folder with manifest.json and the ONNX files it names. The runtime knows
 * nothing about any data set: sizes, normalisation, labels and scheduler constants all come from here.
 *
 * Tensor conventions (NCHW, float32):
 * - classifier:   input  [B,3,H,W] RGB in [0,1] normalised with (x - mean) / std  -> logits [B,K]
 * - vae encoder:  input  [B,3,H,W] RGB in [-1,1]                                   -> latent mean [B,C,h,w] (unscaled)
 * - vae decoder:  input  [B,C,h,w] unscaled latent                                 -> [B,3,H,W] RGB in [-1,1]
 * - editor unet:  sample [B,C,h,w] noisy scaled latent, cond [B,C,h,w] unscaled latent of the
 *                 input image (InstructPix2Pix convention), timestep [B] -> epsilon [B,C,h,w];
 *                 a consistency unet also takes guidance [B] (the distilled image-guidance scale).
 * - gate:         input  [B,3,H,W] RGB in [0,1] normalised with (x - mean) / std  -> score [B] in [0,1]
 *                 (optional: how corrupted each frame is; without it the editor runs on every frame).
 *
 * Tensor names are optional: the bundle takes a name the manifest leaves out from the model itself
 * where that is unambiguous (a classifier or VAE with one input and one output, a unet's one
 * output), else the conventional name (image, logits, latent_mean, latent, sample, cond, timestep,
 * guidance, eps). src/model/tensor-names.ts resolves them when the bundle opens.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();
const size = z.object({ width: positiveInt, height: positiveInt });
/** A tensor name; left out, it comes from the model (see above). */
const tensorName = z.string().min(1).optional();

export const normalizationSchema = z.object({
  mean: z.array(z.number()).length(3),
  std: z.array(z.number().positive()).length(3),
});

export const classifierSchema = z.object({
  file: z.string().min(1),
  input: tensorName,
  output: tensorName,
  inputSize: size,
  normalization: normalizationSchema,
  resize: z.enum(['area', 'bilinear']).default('area'),
});

export const vaeSchema = z.object({
  encoder: z.string().min(1),
  decoder: z.string().min(1),
  encoderInput: tensorName,
  encoderOutput: tensorName,
  decoderInput: tensorName,
  decoderOutput: tensorName,
  /** Image size the VAE works at (the editor resizes frames to it). */
  inputSize: size,
  /** [channels, height, width] of the latent. */
  latentShape: z.tuple([positiveInt, positiveInt, positiveInt]),
  /** Diffusion runs on latent * scaleFactor (Stable Diffusion: 0.18215). */
  scaleFactor: z.number().positive(),
  /** How frames are resized to inputSize before encoding. */
  resize: z.enum(['area', 'bilinear']).default('area'),
});

export const noiseScheduleSchema = z.object({
  numTrainTimesteps: positiveInt.default(1000),
  betaStart: z.number().positive().default(0.00085),
  betaEnd: z.number().positive().default(0.012),
  betaSchedule: z.enum(['scaled_linear', 'linear']).default('scaled_linear'),
});

const unetIoSchema = z.object({
  file: z.string().min(1),
  sampleInput: tensorName,
  condInput: tensorName,
  timestepInput: tensorName,
  output: tensorName,
});

/**
 * The seed of the editor noise chosen on validation (training/choose_noise.py): every stream
 * samples with the noise src/model/noise.ts draws from it. Without it each stream draws its own.
 */
const noiseSeed = z.number().int().min(0).max(0xffffffff).optional();

/** What an ensemble rule may weigh (src/model/ensemble.ts computes them per frame). */
export const ENSEMBLE_RULE_FEATURES = ['bias', 'gate', 'sourceConfidence', 'editedConfidence', 'sourceEntropy', 'editedEntropy', 'agreement'] as const;

/**
 * How far to trust this editor's edit, per frame (training/ensemble_rule.py): the ensemble is
 * (1 - w) p_source + w p_edited with w = sigmoid(sum of weights[i] * features[i]).
 */
const ensembleRule = z
  .object({ features: z.array(z.enum(ENSEMBLE_RULE_FEATURES)).min(1), weights: z.array(z.number()).min(1) })
  .refine((rule) => rule.features.length === rule.weights.length, { message: 'one weight per feature', path: ['weights'] })
  .optional();

/**
 * Put back what the VAE loses of the input (training/residual_edit.py): the edited image becomes
 * D(edited latent) + alpha * (input - D(E(input))), except where the input's noise level
 * (src/model/detail-residual.ts) reaches `noiseThreshold` ([0,1] scale): what the VAE loses of a
 * noisy picture is mostly its noise, so there the plain edit stays. One more VAE decode per edit.
 * Without it the edit is the decoded latent, as before.
 */
const detailResidual = z.object({ alpha: z.number().min(0).max(1), noiseThreshold: z.number().positive() }).optional();

/**
 * Stretch a flat picture's contrast before the edit (training/stretch_edit.py): where the luma
 * span between the `percentile` and 1 - `percentile` quantiles is below `maxSpan`, the picture is
 * stretched about its mid-band by 1 / span, at most `maxGain`; not where its noise level reaches
 * `noiseThreshold` (optional), whose noise a stretch would amplify. Only the editor's input
 * changes; without it the editor sees the frame as it came.
 */
const contrastStretch = z
  .object({
    percentile: z.number().min(0).max(0.5),
    maxGain: z.number().min(1),
    maxSpan: z.number().positive(),
    noiseThreshold: z.number().positive().optional(),
  })
  .optional();

export const consistencyEditorSchema = z.object({
  kind: z.literal('consistency'),
  unet: unetIoSchema.extend({ guidanceInput: tensorName }),
  /** Default number of steps (NFEs); 1-8 are allowed at run time. */
  steps: z.number().int().min(1).max(8).default(4),
  /** Explicit timesteps for the default step count, e.g. [999, 759, 499, 259]. */
  timesteps: z.array(z.number().int().nonnegative()).min(1).optional(),
  /** LCM schedule: timesteps for other step counts are drawn from this many evenly spaced teacher steps. */
  originalSteps: positiveInt.default(50),
  /** Image-guidance scale given to the unet's guidance input (distilled, no extra batch). */
  guidanceScale: z.number().default(1.1),
  sigmaData: z.number().positive().default(0.5),
  timestepScaling: z.number().positive().default(10),
  noiseSeed,
  ensembleRule,
  detailResidual,
  contrastStretch,
});

export const ddimEditorSchema = z.object({
  kind: z.literal('ddim-ip2p'),
  unet: unetIoSchema,
  steps: z.number().int().min(1).max(100).default(20),
  /** Image guidance sI per step: sqrt(linspace(start^2, end^2, steps)), as in Decorruptor-DPM. */
  imageGuidance: z.object({ start: z.number().nonnegative(), end: z.number().nonnegative() }).default({ start: 1.8, end: 0 }),
  eta: z.literal(0).default(0),
  /**
   * alpha_bar "before" timestep 0, used by the last step. true (default, as training/schedule.py
   * samples): 1, so the last step returns the x0 prediction itself. false: alpha_bar[0], as
   * diffusers' DDIMScheduler with set_alpha_to_one=False (Stable Diffusion's shipped config); set it
   * for exports of SD-based editors.
   */
  setAlphaToOne: z.boolean().default(true),
  noiseSeed,
  ensembleRule,
  detailResidual,
  contrastStretch,
});

/**
 * The corruption gate (training/gate.py): a small model that scores how corrupted a frame is, so
 * that the editor runs only where it is needed. Optional: a bundle without one edits every frame.
 */
export const gateSchema = z.object({
  file: z.string().min(1),
  input: tensorName,
  output: tensorName,
  inputSize: size,
  /** Default: none (the model takes RGB in [0,1]). */
  normalization: normalizationSchema.default({ mean: [0, 0, 0], std: [1, 1, 1] }),
  resize: z.enum(['area', 'bilinear']).default('area'),
  /** Frames scoring at least this are edited (chosen on validation: few clean frames reach it). */
  threshold: z.number().min(0).max(1).default(0.5),
});

export const editorSchema = z.discriminatedUnion('kind', [consistencyEditorSchema, ddimEditorSchema]);

/**
 * Other precisions of the bundle's models, written by training/quantize.py. `files` maps a model
 * file the manifest names to its int8 (QDQ) counterpart; a model without one runs in fp32.
 */
export const int8VariantSchema = z.object({
  files: z.record(z.string().min(1), z.string().min(1)),
  /** How the variant was made (calibration images, ranges...), for the model card. */
  info: z.record(z.string(), z.unknown()).optional(),
});

export const manifestSchema = z.object({
  name: z.string().min(1),
  version: z.string().default('0.0.0'),
  labels: z.array(z.string().min(1)).min(2),
  classifier: classifierSchema,
  vae: vaeSchema,
  noiseSchedule: noiseScheduleSchema.prefault({}),
  /** Editors by name, e.g. { "cm": {kind: "consistency"...}, "dpm": {kind: "ddim-ip2p"...} }. */
  editors: z.record(z.string(), editorSchema),
  gate: gateSchema.optional(),
  /** Free-form facts for the model card and the hello message (accuracy, training time...). */
  info: z.record(z.string(), z.unknown()).optional(),
  variants: z.object({ int8: int8VariantSchema.optional() }).optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ConsistencyEditorSpec = z.infer<typeof consistencyEditorSchema>;
export type DdimEditorSpec = z.infer<typeof ddimEditorSchema>;
export type EditorSpec = z.infer<typeof editorSchema>;
export type GateSpec = z.infer<typeof gateSchema>;
export type EnsembleRule = NonNullable<EditorSpec['ensembleRule']>;
export type DetailResidual = NonNullable<EditorSpec['detailResidual']>;
export type ContrastStretch = NonNullable<EditorSpec['contrastStretch']>;
export type EnsembleRuleFeature = (typeof ENSEMBLE_RULE_FEATURES)[number];
export type NoiseSchedule = z.infer<typeof noiseScheduleSchema>;
