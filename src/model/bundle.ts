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
import { checkModel, classifierTensors, decoderTensors, encoderTensors, gateTensors, unetTensors } from './bundle-io.js';
import type { EditorSpec, GateSpec, Manifest } from './manifest.js';
import { bundleFiles, MANIFEST_FILE, readManifest } from './manifest-file.js';
import { OnnxModel, type SessionConfig } from './onnx-model.js';
import { openAtPrecision, type ModelPrecision, type Precision } from './precision.js';

export interface BundleOpenOptions extends SessionConfig {
  /** A key of manifest.editors, or 'none' to run the classifier alone. */
  editor: string;
  /** Default 'fp32'. */
  precision?: Precision;
  /** Batch of auto's start-up check; default 16. */
  probeBatch?: number;
  /** Overrides the CPU's int8 instruction check (tests). */
  int8Instructions?: readonly string[];
}

/** The tensor names each model is run with (the manifest's, or resolved from the model). */
export interface ClassifierIo {
  input: string;
  output: string;
}
export interface VaeIo {
  encoderInput: string;
  encoderOutput: string;
  decoderInput: string;
  decoderOutput: string;
}
export interface UnetIo {
  sample: string;
  cond: string;
  timestep: string;
  /** Consistency unets only. */
  guidance: string | null;
  output: string;
}

/** The corruption gate's session, spec and tensor names. */
export interface BundleGate {
  model: OnnxModel;
  spec: GateSpec;
  io: { input: string; output: string };
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
  readonly edit: { encoder: OnnxModel; decoder: OnnxModel; unet: OnnxModel; vaeIo: VaeIo; unetIo: UnetIo } | null;
  readonly classifierIo: ClassifierIo;
  /** The precision each open session runs at, by role (as `providers`). */
  readonly precisions: Record<string, ModelPrecision>;
  /** The corruption gate: null when the manifest has none or the editor is off (nothing to gate). */
  readonly gate: BundleGate | null;

  private constructor(dir: string, manifest: Manifest, editorName: string, editor: EditorSpec | null, classifier: OnnxModel, classifierIo: ClassifierIo, edit: ModelBundle['edit'], precisions: Record<string, ModelPrecision>, gate: BundleGate | null) {
    this.dir = dir;
    this.precisions = precisions;
    this.manifest = manifest;
    this.editorName = editorName;
    this.editor = editor;
    this.classifier = classifier;
    this.classifierIo = classifierIo;
    this.edit = edit;
    this.gate = gate;
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
    const open = async (file: string, threads: { intraOpThreads?: number } = {}): Promise<OnnxModel> => {
      const model = await OnnxModel.open(path.resolve(root, file), { ...options, providers, ...threads });
      opened.push(model);
      // Providers that failed for the first model are not retried for the others.
      providers = providers.slice(Math.max(0, providers.indexOf(model.provider)));
      return model;
    };
    const precision = options.precision ?? 'fp32';
    const int8Files = manifest.variants?.int8?.files ?? {};
    if (precision !== 'fp32' && Object.keys(int8Files).length === 0) options.log(`precision ${precision}: the bundle has no int8 variant, every model runs in fp32`);
    const precisions: Record<string, ModelPrecision> = {};
    const openRole = async (role: string, file: string, threads: { intraOpThreads?: number } = {}): Promise<OnnxModel> => {
      const choice = await openAtPrecision(file, { precision, int8File: int8Files[file], open: (f) => open(f, threads), probeBatch: options.probeBatch ?? 16, int8Instructions: options.int8Instructions });
      precisions[role] = choice.precision;
      if (precision === 'auto' && int8Files[file] !== undefined) options.log(`${role}: ${choice.precision} (${choice.reason})`);
      return choice.model;
    };
    try {
      const classifier = await openRole('classifier', manifest.classifier.file);
      const classifierIo = checkClassifier(classifier, manifest);
      let edit: ModelBundle['edit'] = null;
      if (editor) {
        const encoder = await openRole('vaeEncoder', manifest.vae.encoder);
        const decoder = await openRole('vaeDecoder', manifest.vae.decoder);
        const unet = await openRole('unet', editor.unet.file);
        const vaeIo = checkVae(encoder, decoder, manifest);
        const unetIo = checkUnet(unet, options.editor, editor, manifest);
        edit = { encoder, decoder, unet, vaeIo, unetIo };
      }
      let gate: BundleGate | null = null;
      if (editor && manifest.gate) {
        // One thread: the gate is hundreds of tiny operators, and with idle threads asleep (no
        // spinning, onnx-model.ts) waking a second one per operator costs more than it computes:
        // 0.92 ms a frame on two threads vs 0.38 on one at batch 1, the same at batch 16.
        const model = await openRole('gate', manifest.gate.file, { intraOpThreads: 1 });
        const [input, output] = checkModel(model, gateTensors(manifest.gate));
        gate = { model, spec: manifest.gate, io: { input, output } };
      }
      return new ModelBundle(root, manifest, options.editor, editor, classifier, classifierIo, edit, precisions, gate);
    } catch (error) {
      await Promise.allSettled(opened.map((m) => m.release()));
      throw error;
    }
  }

  /** The open models by role: classifier, vaeEncoder, vaeDecoder, unet, gate. */
  get #models(): Record<string, OnnxModel> {
    const out: Record<string, OnnxModel> = { classifier: this.classifier };
    if (this.edit) Object.assign(out, { vaeEncoder: this.edit.encoder, vaeDecoder: this.edit.decoder, unet: this.edit.unet });
    if (this.gate) out.gate = this.gate.model;
    return out;
  }

  /** Execution provider of each open session, by role. */
  get providers(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.#models).map(([role, model]) => [role, model.provider]));
  }

  /** The largest batch each model runs on its one-thread session (0: none), by role. */
  get oneThreadMaxBatch(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.#models).map(([role, model]) => [role, model.oneThreadMaxBatch]));
  }

  async release(): Promise<void> {
    await Promise.allSettled(Object.values(this.#models).map((m) => m.release()));
  }
}

// ---- tensor I/O checks ---------------------------------------------------------------------------

function checkClassifier(model: OnnxModel, manifest: Manifest): ClassifierIo {
  const [input, output] = checkModel(model, classifierTensors(manifest));
  return { input, output };
}

function checkVae(encoder: OnnxModel, decoder: OnnxModel, manifest: Manifest): VaeIo {
  const [encoderInput, encoderOutput] = checkModel(encoder, encoderTensors(manifest));
  const [decoderInput, decoderOutput] = checkModel(decoder, decoderTensors(manifest));
  return { encoderInput, encoderOutput, decoderInput, decoderOutput };
}

function checkUnet(unet: OnnxModel, editorName: string, editor: EditorSpec, manifest: Manifest): UnetIo {
  const names = checkModel(unet, unetTensors(manifest, editorName, editor));
  const [sample, cond, timestep] = names;
  return { sample, cond, timestep, guidance: editor.kind === 'consistency' ? names[3] : null, output: names[names.length - 1] };
}
