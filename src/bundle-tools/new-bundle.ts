/**
 * `bundle new`: a bundle that pairs another classifier with an existing bundle's editor. The new
 * folder holds the classifier (copied) and a manifest that names the editor's files by relative
 * path (nothing else is copied, as training/zoo.py's bundle variants do). It is written to a
 * staging folder beside the target, checked with `checkBundle`, and moved into place only when
 * the check passes, so a failed attempt leaves nothing that looks like a bundle.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, readManifest } from '../model/manifest-file.js';
import { resolveTensorNames, TensorNameError } from '../model/tensor-names.js';
import { checkBundle, type BundleCheckReport, type CheckOptions } from './check.js';
import { openForMetadata } from './inspect.js';

/** A request `bundle new` cannot carry out (bad option, unreadable file, existing target). */
export class BundleToolError extends Error {
  readonly code = 'BUNDLE_NEW_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'BundleToolError';
  }
}

export interface NewBundleOptions extends CheckOptions {
  /** The bundle whose editor (VAE and unets) the new one reuses. */
  from: string;
  /** The classifier's ONNX file. */
  classifier: string;
  /** Where the new bundle goes: a folder that does not exist yet, or an empty one. */
  out: string;
  /** Normalisation of the classifier's [0,1] RGB input; default: the source bundle's. */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** Class names in the order of the classifier's outputs; default: the source bundle's. */
  labels?: string[];
  /** Classifier input size when the model does not fix it; default: the source bundle's. */
  inputSize?: { width: number; height: number };
  /** Tensor names, when the model has several inputs or outputs. */
  input?: string;
  output?: string;
  /** Bundle name; default: `<source name>+<classifier file name>`. */
  name?: string;
}

export interface NewBundleResult {
  /** The new bundle's folder (absolute); it exists only when `check.ok`. */
  dir: string;
  manifest: Record<string, unknown>;
  /** Facts the manifest took from defaults rather than options, for the user to confirm. */
  notes: string[];
  check: BundleCheckReport;
}

/** One class name per line; blank lines and surrounding spaces are ignored. */
export async function readLabelsFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BundleToolError(`${file}: cannot read the labels file (${(error as Error).message})`);
  }
  const labels = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  if (labels.length < 2) throw new BundleToolError(`${file}: a labels file has one class name per line, at least 2; found ${labels.length}`);
  const repeated = labels.filter((label, i) => labels.indexOf(label) !== i);
  if (repeated.length > 0) throw new BundleToolError(`${file}: class names must be distinct; repeated: ${[...new Set(repeated)].join(', ')}`);
  return labels;
}

async function assertFreeTarget(out: string): Promise<void> {
  const entries = await readdir(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new BundleToolError(`--out ${out}: exists and is not a folder`);
    throw error;
  });
  if (entries.length > 0) throw new BundleToolError(`--out ${out}: the folder exists and is not empty; choose a new folder`);
}

/** The classifier's facts the manifest needs: its input size and output count, when it declares them. */
async function classifierFacts(file: string, options: NewBundleOptions): Promise<{ size: { width: number; height: number } | null; classes: number | null }> {
  const model = await openForMetadata(file);
  try {
    let input: string;
    let output: string;
    try {
      [input, output] = resolveTensorNames(model, [
        { kind: 'input', field: '--input', given: options.input, conventional: 'image', ranks: [4] },
        { kind: 'output', field: '--output', given: options.output, conventional: 'logits', ranks: [2] },
      ]);
    } catch (error) {
      if (error instanceof TensorNameError) throw new BundleToolError(`${file}: ${error.message}`);
      throw error;
    }
    const inShape = model.tensorMeta('input', input)?.shape ?? [];
    const outShape = model.tensorMeta('output', output)?.shape ?? [];
    const [h, w] = [inShape[2], inShape[3]];
    const size = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { width: w, height: h } : null;
    const classes = typeof outShape[1] === 'number' ? outShape[1] : null;
    return { size, classes };
  } finally {
    await model.release();
  }
}

const posixRelative = (from: string, to: string) => path.relative(from, to).split(path.sep).join('/');

/** Writes, checks and (when the check passes) moves the new bundle into place. */
export async function newBundle(options: NewBundleOptions): Promise<NewBundleResult> {
  const fromDir = path.resolve(options.from);
  const out = path.resolve(options.out);
  const classifierFile = path.resolve(options.classifier);
  const source = await readManifest(fromDir);
  // The raw JSON, not the parsed manifest: the new one keeps exactly what the source said (no defaults written out).
  const raw = JSON.parse(await readFile(path.join(fromDir, MANIFEST_FILE), 'utf8')) as Record<string, any>;
  await assertFreeTarget(out);

  const facts = await classifierFacts(classifierFile, options);
  const notes: string[] = [];
  const labels = options.labels ?? source.labels;
  if (!options.labels) notes.push(`labels: the source bundle's ${source.labels.length} (${source.labels.slice(0, 3).join(', ')}, ...)`);
  if (facts.classes !== null && facts.classes !== labels.length) {
    throw new BundleToolError(`${classifierFile}: the classifier has ${facts.classes} outputs but there are ${labels.length} labels${options.labels ? '' : " (the source bundle's)"}: pass --labels FILE with one class name per output, in output order`);
  }
  const inputSize = facts.size ?? options.inputSize ?? source.classifier.inputSize;
  if (!facts.size) notes.push(`inputSize: ${inputSize.width}x${inputSize.height} (${options.inputSize ? 'given' : "the model does not fix it; the source bundle's"})`);
  const normalization = { mean: options.mean ?? source.classifier.normalization.mean, std: options.std ?? source.classifier.normalization.std };
  if (!options.mean || !options.std) notes.push(`normalization: ${options.mean ? '' : 'mean '}${options.std ? '' : 'std '}from the source bundle; a classifier trained with other statistics needs --mean and --std`);

  const staging = path.join(path.dirname(out), `.${path.basename(out)}.partial-${process.pid}`);
  const shared = (file: string) => posixRelative(out, path.resolve(fromDir, file));
  const classifierName = path.basename(classifierFile);
  const manifest: Record<string, unknown> = {
    name: options.name ?? `${source.name}+${path.basename(classifierName, '.onnx')}`,
    version: source.version,
    labels,
    classifier: {
      file: classifierName,
      ...(options.input ? { input: options.input } : {}),
      ...(options.output ? { output: options.output } : {}),
      inputSize,
      normalization,
      resize: source.classifier.resize,
    },
    vae: { ...raw.vae, encoder: shared(source.vae.encoder), decoder: shared(source.vae.decoder) },
    ...(raw.noiseSchedule ? { noiseSchedule: raw.noiseSchedule } : {}),
    editors: Object.fromEntries(Object.entries(raw.editors as Record<string, any>).map(([name, editor]) => [name, { ...editor, unet: { ...editor.unet, file: shared(editor.unet.file) } }])),
    info: { editorFrom: posixRelative(out, fromDir), editorBundle: `${source.name} ${source.version}`, madeBy: 'decorruptor bundle new' },
  };

  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  try {
    await copyFile(classifierFile, path.join(staging, classifierName));
    await writeFile(path.join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const checked = await checkBundle(staging, options);
    // Problems name files by their final place, not the staging folder that is about to go.
    const editors = checked.editors.map((e) => (e.problem ? { ...e, problem: { ...e.problem, message: e.problem.message.split(staging).join(out) } } : e));
    const check = { ...checked, dir: out, editors };
    const result = { dir: out, manifest, notes, check };
    if (!check.ok) return result;
    await rm(out, { recursive: true, force: true }); // an empty folder (assertFreeTarget)
    await rename(staging, out);
    return result;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
