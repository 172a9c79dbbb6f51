/**
 * Hand-run: how onnxruntime session settings and precision change each model's time, measured
 * interleaved (variant A, B, C, A, B, C...) so that a busy machine slows them alike.
 *
 *   node --import tsx tools/session-tuning.ts [BUNDLE] [--batch 16] [--rounds 7] [--variants LIST] [--profile DIR]
 *
 * Variants: fp32 (the engine's settings), int8 (the bundle's int8 files), spin (intra-op threads
 * spinning), t1 (one intra-op thread), basic / extended (lower graph optimisation), nomempattern,
 * noarena, parallel (execution mode). --profile writes onnxruntime's per-operator profile of each
 * variant's first model run there (chrome-trace JSON) and prints the most expensive operators.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { readManifest } from '../src/model/manifest-file.js';

type Options = ort.InferenceSession.SessionOptions;

const ENGINE: Options = { executionProviders: ['cpu'], interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', logSeverityLevel: 3, extra: { session: { intra_op: { allow_spinning: '0' } } } };

const VARIANTS: Record<string, { int8?: boolean; options: Options }> = {
  fp32: { options: ENGINE },
  int8: { int8: true, options: ENGINE },
  spin: { options: { ...ENGINE, extra: { session: { intra_op: { allow_spinning: '1' } } } } },
  int8spin: { int8: true, options: { ...ENGINE, extra: { session: { intra_op: { allow_spinning: '1' } } } } },
  int8nomempattern: { int8: true, options: { ...ENGINE, enableMemPattern: false } },
  int8extended: { int8: true, options: { ...ENGINE, graphOptimizationLevel: 'extended' } },
  int8layout: { int8: true, options: { ...ENGINE, graphOptimizationLevel: 'layout' } },
  nomemarena: { options: { ...ENGINE, enableMemPattern: false, enableCpuMemArena: false } },
  t1: { options: { ...ENGINE, intraOpNumThreads: 1 } },
  basic: { options: { ...ENGINE, graphOptimizationLevel: 'basic' } },
  extended: { options: { ...ENGINE, graphOptimizationLevel: 'extended' } },
  nomempattern: { options: { ...ENGINE, enableMemPattern: false } },
  noarena: { options: { ...ENGINE, enableCpuMemArena: false } },
  parallel: { options: { ...ENGINE, executionMode: 'parallel', interOpNumThreads: 2 } },
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: 'string', default: '16' }, rounds: { type: 'string', default: '7' }, variants: { type: 'string', default: 'fp32,int8' }, profile: { type: 'string' } },
});
const bundleDir = positionals[0] ?? 'models/cifar10';
const batch = Number(values.batch);
const rounds = Number(values.rounds);
const variants = values.variants!.split(',');
const manifest = await readManifest(bundleDir);
const int8 = manifest.variants?.int8?.files ?? {};
const models: Record<string, string> = { classifier: manifest.classifier.file, vae_encoder: manifest.vae.encoder, vae_decoder: manifest.vae.decoder };
for (const [name, editor] of Object.entries(manifest.editors)) models[`unet_${name}`] = editor.unet.file;

function feeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const dims = meta.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    out[meta.name] = new ort.Tensor('float32', new Float32Array(n).map((_, i) => ((i % 13) - 6) / 6), dims);
  }
  return out;
}

const table: string[] = [`batch ${batch}, median ms of ${rounds} rounds x 5 runs; variants run interleaved`, ['model', ...variants].join('\t')];
for (const [role, file] of Object.entries(models)) {
  const sessions: Array<[string, ort.InferenceSession]> = [];
  for (const variant of variants) {
    const spec = VARIANTS[variant];
    if (!spec) throw new Error(`unknown variant ${variant}: ${Object.keys(VARIANTS).join(', ')}`);
    const chosen = spec.int8 ? int8[file] : file;
    if (!chosen) continue;
    const options: Options = values.profile ? { ...spec.options, enableProfiling: true, profileFilePrefix: path.join(values.profile, `${role}-${variant}`) } : spec.options;
    if (values.profile) await mkdir(values.profile, { recursive: true });
    sessions.push([variant, await ort.InferenceSession.create(path.resolve(bundleDir, chosen), options)]);
  }
  const times = new Map<string, number[]>(sessions.map(([v]) => [v, []]));
  const inputs = new Map(sessions.map(([v, s]) => [v, feeds(s)]));
  for (const [v, s] of sessions) for (let i = 0; i < 3; i++) await s.run(inputs.get(v)!);
  for (let r = 0; r < rounds; r++) {
    for (const [v, s] of sessions) {
      const started = performance.now();
      for (let i = 0; i < 5; i++) await s.run(inputs.get(v)!);
      times.get(v)!.push((performance.now() - started) / 5);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  table.push([role, ...variants.map((v) => (times.has(v) ? median(times.get(v)!).toFixed(2) : '-'))].join('\t'));
  for (const [v, s] of sessions) {
    if (values.profile) {
      s.endProfiling();
      await summarizeProfile(path.join(values.profile, `${role}-${v}`), `${role} ${v}`);
    }
    await s.release();
  }
}
console.log(table.join('\n'));

/** The operators that took the most time in a profile (chrome-trace events of kind Node); onnxruntime names the file <prefix>_<date>.json. */
async function summarizeProfile(prefix: string, label: string): Promise<void> {
  const dir = path.dirname(prefix);
  const name = (await readdir(dir)).filter((f) => f.startsWith(`${path.basename(prefix)}_`)).sort().pop();
  if (!name) return;
  const target = path.join(dir, name);
  const events = JSON.parse(await readFile(target, 'utf8')) as Array<{ cat: string; name: string; dur: number; args?: { op_name?: string } }>;
  const byOp = new Map<string, number>();
  for (const e of events) if (e.cat === 'Node' && e.name.endsWith('_kernel_time')) byOp.set(e.args?.op_name ?? e.name, (byOp.get(e.args?.op_name ?? e.name) ?? 0) + e.dur);
  const total = [...byOp.values()].reduce((a, b) => a + b, 0);
  const top = [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([op, us]) => `${op} ${((100 * us) / total).toFixed(0)}%`);
  console.error(`${label}: ${top.join(', ')}`);
}
