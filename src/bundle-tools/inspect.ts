/**
 * `bundle inspect`: every model file a bundle's manifest names, what it declares (inputs, outputs,
 * types, shapes), its size and weight count, and for each role it plays what the manifest expects
 * of it and whether it meets that (bundle-io.ts, the checks the runtime applies when it opens the
 * bundle). Nothing is run.
 *
 * onnxruntime is loaded here on the calling thread, when a model is first read: only the `bundle`
 * command does, in a process of its own that runs no inference at the same time.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  classifierTensors,
  gateTensors,
  decoderTensors,
  encoderTensors,
  examineModel,
  unetTensors,
  type ModelProblem,
  type TensorExpectation,
} from '../model/bundle-io.js';
import { BundleError } from '../model/errors.js';
import type { Manifest } from '../model/manifest.js';
import { MANIFEST_FILE, readManifest } from '../model/manifest-file.js';
import { readOnnxWeights, type OnnxWeights } from '../model/onnx-graph.js';
import type { OnnxModel } from '../model/onnx-model.js';

export interface TensorInfo {
  name: string;
  /** 'float32', 'int64', ...; 'non-tensor' for sequences and maps. */
  type: string;
  /** Declared dims: numbers, symbolic names ('batch'); [] when the model declares none. */
  shape: Array<number | string>;
}

export interface TensorCheck {
  kind: 'input' | 'output';
  /** The manifest field, e.g. 'classifier.input'. */
  field: string;
  /** The name the manifest gives, or null (then resolved from the model). */
  given: string | null;
  /** The model's tensor the runtime uses, or null when none could be chosen. */
  name: string | null;
  /** What the tensor must be, e.g. 'float32 [?,3,32,32]'. */
  expected: string;
  problem: ModelProblem | null;
}

export interface RoleCheck {
  /** e.g. 'classifier', 'vae encoder', "editor 'cm' (consistency) unet". */
  role: string;
  tensors: TensorCheck[];
  /** A problem of the model in this role as a whole (names, unfed inputs), or null. */
  problem: ModelProblem | null;
}

export interface ModelFileReport {
  /** As the manifest names it (relative to the bundle folder). */
  file: string;
  path: string;
  /** Size of the .onnx file, and of the external data files its weights live in. */
  bytes: number | null;
  externalBytes: number;
  weights: OnnxWeights | null;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  roles: RoleCheck[];
  /** The file is missing or not a loadable model: nothing else could be read. */
  error: { code: string; message: string } | null;
}

export interface BundleInspection {
  dir: string;
  manifest: Manifest;
  files: ModelFileReport[];
  /** Problems found, over every file and role. */
  problems: number;
}

interface Role {
  role: string;
  file: string;
  expected: TensorExpectation[];
}

function rolesOf(manifest: Manifest): Role[] {
  const roles: Role[] = [
    { role: 'classifier', file: manifest.classifier.file, expected: classifierTensors(manifest) },
    { role: 'vae encoder', file: manifest.vae.encoder, expected: encoderTensors(manifest) },
    { role: 'vae decoder', file: manifest.vae.decoder, expected: decoderTensors(manifest) },
  ];
  for (const [name, editor] of Object.entries(manifest.editors)) {
    roles.push({ role: `editor '${name}' (${editor.kind}) unet`, file: editor.unet.file, expected: unetTensors(manifest, name, editor) });
  }
  if (manifest.gate) roles.push({ role: 'corruption gate', file: manifest.gate.file, expected: gateTensors(manifest.gate) });
  return roles;
}

const showShape = (dims: readonly unknown[]) => `[${dims.map((d) => (d === null ? '?' : String(d))).join(',')}]`;

function tensorInfos(model: OnnxModel, kind: 'input' | 'output'): TensorInfo[] {
  const names = kind === 'input' ? model.inputNames : model.outputNames;
  return names.map((name) => {
    const meta = model.tensorMeta(kind, name);
    return meta ? { name, type: meta.type, shape: [...meta.shape] } : { name, type: 'non-tensor', shape: [] };
  });
}

function checkRole(model: OnnxModel, role: Role): RoleCheck {
  const { names, tensors, problem } = examineModel(model, role.expected);
  return {
    role: role.role,
    problem,
    tensors: role.expected.map((want, i) => ({
      kind: want.kind,
      field: want.field,
      given: want.given ?? null,
      name: names ? names[i] : null,
      expected: `${want.types.join('|')} ${showShape(want.shape.length === 1 ? ['B'] : want.shape)}`,
      problem: tensors[i],
    })),
  };
}

/** Opens one model for its metadata only (CPU, one thread), or explains why it cannot. */
export async function openForMetadata(file: string): Promise<OnnxModel> {
  // Loaded on demand: importing onnxruntime costs time and belongs to the commands that need it.
  const { OnnxModel } = await import('../model/onnx-model.js');
  return OnnxModel.open(file, { providers: ['cpu'], intraOpThreads: 1, log: () => {} });
}

async function externalBytes(modelPath: string, files: readonly string[]): Promise<number> {
  let total = 0;
  for (const file of files) total += (await stat(path.resolve(path.dirname(modelPath), file)).catch(() => ({ size: 0 }))).size;
  return total;
}

async function inspectFile(root: string, file: string, roles: Role[]): Promise<ModelFileReport> {
  const full = path.resolve(root, file);
  const report: ModelFileReport = { file, path: full, bytes: null, externalBytes: 0, weights: null, inputs: [], outputs: [], roles: [], error: null };
  try {
    report.bytes = (await stat(full)).size;
  } catch {
    report.error = { code: 'BUNDLE_FILE_MISSING', message: `file named in ${MANIFEST_FILE} does not exist` };
    return report;
  }
  let model: OnnxModel;
  try {
    report.weights = await readOnnxWeights(full);
    report.externalBytes = await externalBytes(full, report.weights.externalFiles);
    model = await openForMetadata(full);
  } catch (error) {
    if (!(error instanceof BundleError)) throw error;
    // The report names the file already: keep the message without the file prefix BundleError adds.
    report.error = { code: error.code, message: error.file ? error.message.slice(error.file.length + 2) : error.message };
    return report;
  }
  try {
    report.inputs = tensorInfos(model, 'input');
    report.outputs = tensorInfos(model, 'output');
    report.roles = roles.map((role) => checkRole(model, role));
  } finally {
    await model.release();
  }
  return report;
}

function problemsIn(file: ModelFileReport): number {
  if (file.error) return 1;
  return file.roles.reduce((sum, role) => sum + (role.problem ? 1 : 0) + role.tensors.filter((t) => t.problem).length, 0);
}

/**
 * Inspects the bundle in `dir`.
 * @throws BundleError when its manifest is missing or invalid (nothing else can be read then).
 */
export async function inspectBundle(dir: string): Promise<BundleInspection> {
  const root = path.resolve(dir);
  const manifest = await readManifest(root);
  const byFile = new Map<string, Role[]>();
  for (const role of rolesOf(manifest)) byFile.set(role.file, [...(byFile.get(role.file) ?? []), role]);
  const files: ModelFileReport[] = [];
  for (const [file, roles] of byFile) files.push(await inspectFile(root, file, roles));
  return { dir: root, manifest, files, problems: files.reduce((sum, f) => sum + problemsIn(f), 0) };
}
