/**
 * Opening a model bundle: the manifest (manifest-file.ts), every named file present, the sessions
 * the chosen configuration needs opened, and their tensor names, types and shapes checked against
 * the manifest, so that a broken bundle fails at start-up, naming the file and the problem, and
 * never in the middle of a stream.
 *
 * This module loads onnxruntime: import it from the inference worker only.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { BundleError } from './errors.js';
import type { EditorSpec, Manifest } from './manifest.js';
import { bundleFiles, MANIFEST_FILE, readManifest } from './manifest-file.js';
import { OnnxModel, type SessionConfig, type TensorMeta } from './onnx-model.js';

export interface BundleOpenOptions extends SessionConfig {
  /** A key of manifest.editors, or 'none' to run the classifier alone. */
  editor: string;
}

/** The sessions of one bundle in one configuration (classifier, and the chosen editor's models). */
export class ModelBundle {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly editorName: string;
  /** Null when the editor is off. */
  readonly editor: EditorSpec | null;
  readonly classifier: OnnxModel;
  /** Present exactly when `editor` is. */
  readonly edit: { encoder: OnnxModel; decoder: OnnxModel; unet: OnnxModel } | null;

  private constructor(dir: string, manifest: Manifest, editorName: string, editor: EditorSpec | null, classifier: OnnxModel, edit: ModelBundle['edit']) {
    this.dir = dir;
    this.manifest = manifest;
    this.editorName = editorName;
    this.editor = editor;
    this.classifier = classifier;
    this.edit = edit;
  }

  static async open(dir: string, options: BundleOpenOptions): Promise<ModelBundle> {
    const root = path.resolve(dir);
    const manifest = await readManifest(root);
    const manifestFile = path.join(root, MANIFEST_FILE);

    let editor: EditorSpec | null = null;
    if (options.editor !== 'none') {
      editor = manifest.editors[options.editor] ?? null;
      if (!editor) {
        const known = Object.keys(manifest.editors);
        throw new BundleError('BUNDLE_EDITOR_UNKNOWN', manifestFile, `no editor '${options.editor}' (editors: ${known.join(', ') || 'none'}; or 'none')`);
      }
    }

    // Every named file must exist, also those this configuration does not open.
    for (const file of bundleFiles(manifest)) {
      const full = path.resolve(root, file);
      try {
        await access(full);
      } catch (error) {
        throw new BundleError('BUNDLE_FILE_MISSING', full, `file named in ${MANIFEST_FILE} does not exist`, { cause: error });
      }
    }

    const opened: OnnxModel[] = [];
    let providers = options.providers;
    const open = async (file: string): Promise<OnnxModel> => {
      const model = await OnnxModel.open(path.resolve(root, file), { ...options, providers });
      opened.push(model);
      // Providers that failed for the first model are not retried for the others.
      providers = providers.slice(Math.max(0, providers.indexOf(model.provider)));
      return model;
    };
    try {
      const classifier = await open(manifest.classifier.file);
      checkClassifier(classifier, manifest);
      let edit: ModelBundle['edit'] = null;
      if (editor) {
        const encoder = await open(manifest.vae.encoder);
        const decoder = await open(manifest.vae.decoder);
        const unet = await open(editor.unet.file);
        checkVae(encoder, decoder, manifest);
        checkUnet(unet, editor, manifest);
        edit = { encoder, decoder, unet };
      }
      return new ModelBundle(root, manifest, options.editor, editor, classifier, edit);
    } catch (error) {
      await Promise.allSettled(opened.map((m) => m.release()));
      throw error;
    }
  }

  /** Execution provider of each open session, by role. */
  get providers(): Record<string, string> {
    const out: Record<string, string> = { classifier: this.classifier.provider };
    if (this.edit) {
      out.vaeEncoder = this.edit.encoder.provider;
      out.vaeDecoder = this.edit.decoder.provider;
      out.unet = this.edit.unet.provider;
    }
    return out;
  }

  async release(): Promise<void> {
    const models = [this.classifier, this.edit?.encoder, this.edit?.decoder, this.edit?.unet].filter((m): m is OnnxModel => !!m);
    await Promise.allSettled(models.map((m) => m.release()));
  }
}

// ---- tensor I/O checks ---------------------------------------------------------------------------

/** Expected dims: a number must match a static dim; null accepts anything (batch, symbolic). */
type DimSpec = number | null;

function tensor(model: OnnxModel, kind: 'input' | 'output', name: string, types: readonly string[]): TensorMeta {
  const meta = model.tensorMeta(kind, name);
  if (!meta) {
    const names = kind === 'input' ? model.inputNames : model.outputNames;
    throw new BundleError('BUNDLE_IO_MISMATCH', model.file, `has no ${kind} tensor '${name}' (${kind}s: ${names.join(', ')})`);
  }
  if (!types.includes(meta.type)) {
    throw new BundleError('BUNDLE_IO_MISMATCH', model.file, `${kind} '${name}' is ${meta.type}, expected ${types.join(' or ')}`);
  }
  return meta;
}

function expectShape(model: OnnxModel, kind: 'input' | 'output', meta: TensorMeta, expected: readonly DimSpec[], meaning: string): void {
  const shape = meta.shape;
  if (shape.length === 0) return; // the model does not declare a shape
  const show = (dims: readonly unknown[]) => `[${dims.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
  const mismatch = shape.length !== expected.length || expected.some((want, i) => want !== null && typeof shape[i] === 'number' && shape[i] !== want);
  if (mismatch) {
    throw new BundleError('BUNDLE_SHAPE_MISMATCH', model.file, `${kind} '${meta.name}' has shape ${show(shape)}, expected ${show(expected)} (${meaning})`);
  }
}

function checkClassifier(model: OnnxModel, manifest: Manifest): void {
  const { input, output, inputSize } = manifest.classifier;
  const inMeta = tensor(model, 'input', input, ['float32']);
  expectShape(model, 'input', inMeta, [null, 3, inputSize.height, inputSize.width], `[B,3,H,W], H,W = classifier.inputSize ${inputSize.height}x${inputSize.width}`);
  const outMeta = tensor(model, 'output', output, ['float32']);
  expectShape(model, 'output', outMeta, [null, manifest.labels.length], `[B,K] logits, K = ${manifest.labels.length} labels`);
}

function checkVae(encoder: OnnxModel, decoder: OnnxModel, manifest: Manifest): void {
  const vae = manifest.vae;
  const image: DimSpec[] = [null, 3, vae.inputSize.height, vae.inputSize.width];
  const latent: DimSpec[] = [null, ...vae.latentShape];
  const imageMeaning = `[B,3,H,W], H,W = vae.inputSize ${vae.inputSize.height}x${vae.inputSize.width}`;
  const latentMeaning = `[B,C,h,w] = vae.latentShape ${vae.latentShape.join('x')}`;
  expectShape(encoder, 'input', tensor(encoder, 'input', vae.encoderInput, ['float32']), image, imageMeaning);
  expectShape(encoder, 'output', tensor(encoder, 'output', vae.encoderOutput, ['float32']), latent, latentMeaning);
  expectShape(decoder, 'input', tensor(decoder, 'input', vae.decoderInput, ['float32']), latent, latentMeaning);
  expectShape(decoder, 'output', tensor(decoder, 'output', vae.decoderOutput, ['float32']), image, imageMeaning);
}

/** Timesteps may be float or integer tensors; they are fed as [B]. */
const TIMESTEP_TYPES = ['float32', 'int64', 'int32'] as const;

function checkUnet(unet: OnnxModel, editor: EditorSpec, manifest: Manifest): void {
  const latent: DimSpec[] = [null, ...manifest.vae.latentShape];
  const meaning = `[B,C,h,w] = vae.latentShape ${manifest.vae.latentShape.join('x')}`;
  const io = editor.unet;
  expectShape(unet, 'input', tensor(unet, 'input', io.sampleInput, ['float32']), latent, meaning);
  expectShape(unet, 'input', tensor(unet, 'input', io.condInput, ['float32']), latent, meaning);
  expectShape(unet, 'output', tensor(unet, 'output', io.output, ['float32']), latent, meaning);
  const scalars: Array<[string, readonly string[]]> = [[io.timestepInput, TIMESTEP_TYPES]];
  if (editor.kind === 'consistency') scalars.push([editor.unet.guidanceInput, ['float32']]);
  for (const [name, types] of scalars) {
    const meta = tensor(unet, 'input', name, types);
    if (meta.shape.length > 1) {
      throw new BundleError('BUNDLE_SHAPE_MISMATCH', unet.file, `input '${name}' has shape [${meta.shape.join(',')}], expected [B]`);
    }
  }
  const declared = new Set(unet.inputNames);
  const fed = new Set([io.sampleInput, io.condInput, ...scalars.map(([name]) => name)]);
  const unfed = [...declared].filter((n) => !fed.has(n));
  if (unfed.length > 0) {
    throw new BundleError('BUNDLE_IO_MISMATCH', unet.file, `inputs ${unfed.map((n) => `'${n}'`).join(', ')} are not named in ${MANIFEST_FILE} (a ${editor.kind} unet takes ${[...fed].join(', ')})`);
  }
}
