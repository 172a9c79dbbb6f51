/**
 * What each model of a bundle must take and give, from the manifest: per tensor its role, its
 * manifest field, the types and the shape it must have. bundle.ts checks opened models against
 * these; `decorruptor bundle inspect` prints them next to what the models declare.
 */
import { BundleError } from './errors.js';
import type { EditorSpec, GateSpec, Manifest } from './manifest.js';
import type { TensorMeta } from './onnx-model.js';
import { resolveTensorNames, TensorNameError, type ModelTensors, type TensorRole } from './tensor-names.js';

/** Expected dims: a number must match a static dim; null accepts anything (batch, symbolic). */
export type DimSpec = number | null;

export interface TensorExpectation extends TensorRole {
  types: readonly string[];
  shape: readonly DimSpec[];
  /** The shape in words, for error messages: which manifest fields it comes from. */
  meaning: string;
}

/** Timesteps may be float or integer tensors; they are fed as [B]. */
const TIMESTEP_TYPES = ['float32', 'int64', 'int32'] as const;

const tensorOf = (kind: 'input' | 'output', field: string, given: string | undefined, conventional: string, shape: readonly DimSpec[], meaning: string, types: readonly string[] = ['float32']): TensorExpectation => ({
  kind, field, given, conventional, shape, meaning, types, ranks: shape.length <= 1 ? [0, 1] : [shape.length],
});

export function classifierTensors(manifest: Manifest): TensorExpectation[] {
  const { input, output, inputSize } = manifest.classifier;
  return [
    tensorOf('input', 'classifier.input', input, 'image', [null, 3, inputSize.height, inputSize.width], `[B,3,H,W], H,W = classifier.inputSize ${inputSize.height}x${inputSize.width}`),
    tensorOf('output', 'classifier.output', output, 'logits', [null, manifest.labels.length], `[B,K] logits, K = ${manifest.labels.length} labels`),
  ];
}

export function gateTensors(gate: GateSpec): TensorExpectation[] {
  const { input, output, inputSize } = gate;
  return [
    tensorOf('input', 'gate.input', input, 'image', [null, 3, inputSize.height, inputSize.width], `[B,3,H,W], H,W = gate.inputSize ${inputSize.height}x${inputSize.width}`),
    tensorOf('output', 'gate.output', output, 'score', [null], '[B] scores in [0,1]'),
  ];
}

function vaeShapes(manifest: Manifest) {
  const vae = manifest.vae;
  return {
    image: [null, 3, vae.inputSize.height, vae.inputSize.width],
    latent: [null, ...vae.latentShape],
    imageMeaning: `[B,3,H,W], H,W = vae.inputSize ${vae.inputSize.height}x${vae.inputSize.width}`,
    latentMeaning: `[B,C,h,w] = vae.latentShape ${vae.latentShape.join('x')}`,
  };
}

export function encoderTensors(manifest: Manifest): TensorExpectation[] {
  const { image, latent, imageMeaning, latentMeaning } = vaeShapes(manifest);
  return [
    tensorOf('input', 'vae.encoderInput', manifest.vae.encoderInput, 'image', image, imageMeaning),
    tensorOf('output', 'vae.encoderOutput', manifest.vae.encoderOutput, 'latent_mean', latent, latentMeaning),
  ];
}

export function decoderTensors(manifest: Manifest): TensorExpectation[] {
  const { image, latent, imageMeaning, latentMeaning } = vaeShapes(manifest);
  return [
    tensorOf('input', 'vae.decoderInput', manifest.vae.decoderInput, 'latent', latent, latentMeaning),
    tensorOf('output', 'vae.decoderOutput', manifest.vae.decoderOutput, 'image', image, imageMeaning),
  ];
}

/** sample, cond, timestep, [guidance,] output: in this order. */
export function unetTensors(manifest: Manifest, editorName: string, editor: EditorSpec): TensorExpectation[] {
  const { latent, latentMeaning } = vaeShapes(manifest);
  const io = editor.unet;
  const at = `editors.${editorName}.unet`;
  const tensors = [
    tensorOf('input', `${at}.sampleInput`, io.sampleInput, 'sample', latent, latentMeaning),
    tensorOf('input', `${at}.condInput`, io.condInput, 'cond', latent, latentMeaning),
    tensorOf('input', `${at}.timestepInput`, io.timestepInput, 'timestep', [null], '[B]', TIMESTEP_TYPES),
  ];
  if (editor.kind === 'consistency') tensors.push(tensorOf('input', `${at}.guidanceInput`, editor.unet.guidanceInput, 'guidance', [null], '[B]'));
  tensors.push(tensorOf('output', `${at}.output`, io.output, 'eps', latent, latentMeaning));
  return tensors;
}

const showDims = (dims: readonly unknown[]) => `[${dims.map((d) => (d === null ? '?' : String(d))).join(',')}]`;

/** Why a model's tensor does not meet its expectation, or null when it does. */
export function tensorProblem(meta: TensorMeta, expected: TensorExpectation): ModelProblem | null {
  const { kind } = expected;
  if (!expected.types.includes(meta.type)) {
    return { code: 'BUNDLE_IO_MISMATCH', message: `${kind} '${meta.name}' is ${meta.type}, expected ${expected.types.join(' or ')}` };
  }
  const shape = meta.shape;
  if (shape.length === 0) return null; // the model does not declare a shape
  const want = expected.shape;
  if (want.length === 1) {
    // A per-sample scalar: [B], or a scalar the whole batch shares.
    return shape.length > 1 ? { code: 'BUNDLE_SHAPE_MISMATCH', message: `${kind} '${meta.name}' has shape ${showDims(shape)}, expected [B]` } : null;
  }
  const mismatch = shape.length !== want.length || want.some((dim, i) => dim !== null && typeof shape[i] === 'number' && shape[i] !== dim);
  return mismatch ? { code: 'BUNDLE_SHAPE_MISMATCH', message: `${kind} '${meta.name}' has shape ${showDims(shape)}, expected ${showDims(want)} (${expected.meaning})` } : null;
}

export interface ModelProblem {
  code: 'BUNDLE_IO_MISMATCH' | 'BUNDLE_SHAPE_MISMATCH';
  message: string;
}

/** How one model meets its expectations: the names it resolves to, and what is wrong per tensor. */
export interface ModelExamination {
  /** Resolved names, in the order of the expectations; null when they could not be resolved. */
  names: string[] | null;
  /** Per expectation: its problem, or null. */
  tensors: Array<ModelProblem | null>;
  /** A problem of the model as a whole (names, inputs nobody feeds), or null. */
  problem: ModelProblem | null;
}

/** Resolves the tensor names of one model and checks their types and shapes, without throwing. */
export function examineModel(model: ModelTensors, expected: readonly TensorExpectation[]): ModelExamination {
  let names: string[];
  try {
    names = resolveTensorNames(model, expected);
  } catch (error) {
    if (!(error instanceof TensorNameError)) throw error;
    return { names: null, tensors: expected.map(() => null), problem: { code: 'BUNDLE_IO_MISMATCH', message: error.message } };
  }
  const tensors = expected.map((want, i) => {
    const meta = model.tensorMeta(want.kind, names[i]);
    return meta ? tensorProblem(meta, want) : { code: 'BUNDLE_IO_MISMATCH' as const, message: `${want.kind} '${names[i]}' is not a tensor` };
  });
  // The runtime feeds only the inputs it knows; any other input would fail at the first run.
  const fed = names.filter((_, i) => expected[i].kind === 'input');
  const unfed = model.inputNames.filter((name) => !fed.includes(name));
  const problem: ModelProblem | null = unfed.length === 0 ? null : {
    code: 'BUNDLE_IO_MISMATCH',
    message: `input${unfed.length > 1 ? 's' : ''} ${unfed.map((n) => `'${n}'`).join(', ')} would not be fed: the runtime feeds ${expected.filter((e) => e.kind === 'input').map((e, i) => `${e.field} (${fed[i]})`).join(', ')}`,
  };
  return { names, tensors, problem };
}

/**
 * Resolves the tensor names of one model and checks their types and shapes; returns the names in
 * the order of `expected`.
 * @throws BundleError BUNDLE_IO_MISMATCH or BUNDLE_SHAPE_MISMATCH, naming the model's file.
 */
export function checkModel(model: ModelTensors, expected: readonly TensorExpectation[]): string[] {
  const { names, tensors, problem } = examineModel(model, expected);
  const first = problem ?? tensors.find((p) => p !== null);
  if (first) throw new BundleError(first.code, model.file, first.message);
  return names!;
}
