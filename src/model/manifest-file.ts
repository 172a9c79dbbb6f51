/**
 * Reading a bundle's manifest.json: zod validation plus the cross-field checks, with errors that
 * name the file and the field. Plain file reading, no onnxruntime: safe on any thread.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BundleError } from './errors.js';
import { manifestSchema, type Manifest } from './manifest.js';

export const MANIFEST_FILE = 'manifest.json';

/** Reads and validates `<dir>/manifest.json`. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = path.resolve(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new BundleError('BUNDLE_FILE_MISSING', file, 'cannot read the bundle manifest', { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BundleError('BUNDLE_MANIFEST_INVALID', file, `not valid JSON (${(error as Error).message})`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new BundleError('BUNDLE_MANIFEST_INVALID', file, problems.join('; '), { cause: parsed.error });
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new BundleError('BUNDLE_MANIFEST_INVALID', file, problems.join('; '));
  return parsed.data;
}

/** What zod's per-field schema cannot see: values that must agree with each other. */
function crossFieldProblems(manifest: Manifest): string[] {
  const problems: string[] = [];
  const numTrain = manifest.noiseSchedule.numTrainTimesteps;
  for (const [name, editor] of Object.entries(manifest.editors)) {
    if (editor.kind !== 'consistency' || !editor.timesteps) continue;
    const where = `editors.${name}.timesteps`;
    const ts = editor.timesteps;
    if (ts.some((t) => t >= numTrain)) problems.push(`${where}: every timestep must be below noiseSchedule.numTrainTimesteps (${numTrain})`);
    if (ts.some((t, i) => i > 0 && t >= ts[i - 1])) problems.push(`${where}: timesteps must be strictly decreasing`);
    if (ts.length !== editor.steps) problems.push(`${where}: ${ts.length} timesteps for ${editor.steps} steps`);
  }
  const named = new Set(modelFiles(manifest));
  for (const file of Object.keys(manifest.variants?.int8?.files ?? {})) {
    if (!named.has(file)) problems.push(`variants.int8.files: '${file}' is not a model file of this manifest`);
  }
  if (manifest.noiseSchedule.betaEnd <= manifest.noiseSchedule.betaStart) problems.push('noiseSchedule.betaEnd: must exceed betaStart');
  return problems;
}

/** The fp32 model files: classifier, VAE, every editor's UNet, the corruption gate. */
function modelFiles(manifest: Manifest): string[] {
  const files = [manifest.classifier.file, manifest.vae.encoder, manifest.vae.decoder];
  for (const editor of Object.values(manifest.editors)) files.push(editor.unet.file);
  if (manifest.gate) files.push(manifest.gate.file);
  return files;
}

/** Every ONNX file the manifest names (variants included), relative to the bundle folder. */
export function bundleFiles(manifest: Manifest): string[] {
  return [...new Set([...modelFiles(manifest), ...Object.values(manifest.variants?.int8?.files ?? {})])];
}
