// `decorruptor bundle inspect|check|new` on real bundles (the fixture bundle, copies of it broken on
// purpose) and the foreign classifier (training/fixtures/make_foreign_classifier.py: tensors
// input/logits, [-1,1] inputs, CIFAR-10's labels reversed), then `eval --bundle` on the new bundle
// with no further edit. In-process: the commands' run(), stdout captured.
import assert from 'node:assert/strict';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run as bundle } from '../../src/cli/commands/bundle.js';
import { run as evalCommand } from '../../src/cli/commands/eval.js';
import { UsageError } from '../../src/cli/errors.js';
import type { BundleCheckReport, BundleInspection } from '../../src/bundle-tools/index.js';
import type { EvalReport } from '../../src/eval/types.js';
import { tinyCifarDir } from '../fixtures/cifar-tiny/generate.js';
import { editManifest } from '../helpers/bundle-manifest.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const FOREIGN = fileURLToPath(new URL('../fixtures/model/foreign-classifier', import.meta.url));
const FOREIGN_ONNX = path.join(FOREIGN, 'classifier.onnx');
const FOREIGN_LABELS = path.join(FOREIGN, 'labels.txt');
const CPU = ['--providers', 'cpu'];

/** Runs a command, capturing what it prints; resolves its exit code and output. */
async function captured(body: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const write = process.stderr.write;
  console.log = (...args: unknown[]) => void out.push(args.join(' '));
  console.error = (...args: unknown[]) => void err.push(args.join(' '));
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const code = await body();
    return { code, stdout: out.join('\n'), stderr: err.join('') };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

/** Clean and fog accuracies of `eval --bundle dir` on the tiny CIFAR fixture. */
async function evalTiny(dir: string, editor: string, json: string): Promise<EvalReport> {
  const { code, stderr } = await captured(() => evalCommand(['--data', tinyCifarDir(), '--bundle', dir, '--editor', editor, '--corruptions', 'fog', '--json', json]));
  assert.equal(code, 0, stderr);
  return JSON.parse(await readFile(json, 'utf8')) as EvalReport;
}

describe('bundle inspect', () => {
  it("lists each model's tensors, size and parameters, and what the manifest expects of it", async () => {
    const { code, stdout } = await captured(() => bundle(['inspect', FIXTURE, '--json']));
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as BundleInspection;
    assert.equal(report.problems, 0);
    assert.deepEqual(report.files.map((f) => f.file), ['classifier.onnx', 'vae_encoder.onnx', 'vae_decoder.onnx', 'unet_cm.onnx', 'unet_dpm.onnx']);
    const classifier = report.files[0];
    assert.equal(classifier.bytes, (await stat(path.join(FIXTURE, 'classifier.onnx'))).size);
    // training/fixtures/make_fixture_bundle.py: conv 3->8 (3x3) + linear 8->10.
    assert.equal(classifier.weights?.parameters, 3 * 8 * 9 + 8 + 8 * 10 + 10);
    assert.deepEqual(classifier.inputs, [{ name: 'image', type: 'float32', shape: ['batch', 3, 32, 32] }]);
    assert.deepEqual(classifier.roles.map((r) => r.role), ['classifier']);
    assert.deepEqual(classifier.roles[0].tensors.map((t) => [t.field, t.name, t.expected, t.problem]), [
      ['classifier.input', 'image', 'float32 [?,3,32,32]', null],
      ['classifier.output', 'logits', 'float32 [?,10]', null],
    ]);
    const cm = report.files[3];
    assert.equal(cm.roles[0].role, "editor 'cm' (consistency) unet");
    assert.deepEqual(cm.inputs.map((t) => t.name), ['sample', 'cond', 'timestep', 'guidance']);

    const text = await captured(() => bundle(['inspect', FIXTURE]));
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^classifier\.onnx {2}2\.0 KB, 314 parameters/m);
    assert.match(text.stdout, /ok {2}classifier\.input {3}-> image \(manifest\), expects float32 \[\?,3,32,32\]/);
    assert.match(text.stdout, /5 model files, [\d.]+ KB; no problems found$/);
  });

  it('exits 2 and names every problem of a broken bundle', async (t) => {
    const dir = await tempDir(t, 'inspect-broken-');
    await cp(FIXTURE, dir, { recursive: true });
    await writeFile(path.join(dir, 'vae_decoder.onnx'), 'not a model');
    await editManifest(dir, (m) => {
      m.classifier.output = 'probs';
      m.labels = m.labels.slice(0, 9);
    });
    const { code, stdout } = await captured(() => bundle(['inspect', dir, '--json']));
    assert.equal(code, 2);
    const report = JSON.parse(stdout) as BundleInspection;
    assert.equal(report.problems, 2);
    const byFile = Object.fromEntries(report.files.map((f) => [f.file, f]));
    assert.equal(byFile['vae_decoder.onnx'].error?.code, 'BUNDLE_ONNX_INVALID');
    assert.match(byFile['classifier.onnx'].roles[0].problem?.message ?? '', /has no output tensor 'probs', which classifier\.output names \(outputs: logits\)/);
  });

  it('exits 2 naming the manifest when it is not valid', async (t) => {
    const dir = await tempDir(t, 'inspect-manifest-');
    await cp(FIXTURE, dir, { recursive: true });
    await editManifest(dir, (m) => delete m.labels);
    const { code, stderr } = await captured(() => bundle(['inspect', dir]));
    assert.equal(code, 2);
    assert.match(stderr, /manifest\.json: labels: .* \[BUNDLE_MANIFEST_INVALID\]/);
  });
});

describe('bundle check', () => {
  it('runs one batch through the classifier and each editor: exit 0', async () => {
    const { code, stdout } = await captured(() => bundle(['check', FIXTURE, '--json', ...CPU]));
    assert.equal(code, 0);
    const report = JSON.parse(stdout) as BundleCheckReport;
    assert.equal(report.ok, true);
    assert.deepEqual(report.editors.map((e) => [e.editor, e.ok, e.labels.length]), [['cm', true, 2], ['dpm', true, 2]]);
    const text = await captured(() => bundle(['check', FIXTURE, ...CPU]));
    assert.match(text.stdout, /^ {3}ok {3}cm {3}classifier \+ editor: one batch of 2 frames in \d+ ms/m);
    assert.match(text.stdout, /ok: 2 configurations passed$/);
  });

  it('exits 2 naming the file and the code of each editor that fails, and checks the others', async (t) => {
    const dir = await tempDir(t, 'check-broken-');
    await cp(FIXTURE, dir, { recursive: true });
    await editManifest(dir, (m) => (m.editors.dpm.unet.output = 'noise'));
    const { code, stdout } = await captured(() => bundle(['check', dir, ...CPU]));
    assert.equal(code, 2);
    assert.match(stdout, /^ {3}ok {3}cm /m);
    assert.match(stdout, new RegExp(`^  FAIL  dpm  BUNDLE_IO_MISMATCH: ${path.join(dir, 'unet_dpm.onnx')}: has no output tensor 'noise'`, 'm'));
    assert.match(stdout, /1 of 2 configurations failed$/);
  });
});

describe('bundle new', () => {
  it('pairs a foreign classifier with the editor; eval --bundle runs it with no further edit', async (t) => {
    const dir = await tempDir(t, 'bundle-new-');
    const out = path.join(dir, 'resnet-like');
    const { code, stdout, stderr } = await captured(() =>
      bundle(['new', '--from', FIXTURE, '--classifier', FOREIGN_ONNX, '--mean', '0.5,0.5,0.5', '--std', '0.5,0.5,0.5', '--labels', FOREIGN_LABELS, '--out', out, ...CPU]),
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /ok: 2 configurations passed/);
    assert.deepEqual((await readdir(out)).sort(), ['classifier.onnx', 'manifest.json'], 'the editor is shared, not copied');
    assert.deepEqual((await readdir(dir)), ['resnet-like'], 'no staging folder is left');
    const manifest = JSON.parse(await readFile(path.join(out, 'manifest.json'), 'utf8'));
    const shared = path.relative(out, FIXTURE).split(path.sep).join('/');
    assert.equal(manifest.vae.encoder, `${shared}/vae_encoder.onnx`);
    assert.equal(manifest.editors.cm.unet.file, `${shared}/unet_cm.onnx`);
    assert.deepEqual(manifest.classifier, { file: 'classifier.onnx', inputSize: { width: 32, height: 32 }, normalization: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }, resize: 'area' });
    assert.equal(manifest.labels[0], 'truck');

    // The foreign classifier labels every tiny fixture image right when its own normalisation and
    // label order are applied (and only then: see the next test).
    const none = await evalTiny(out, 'none', path.join(dir, 'none.json'));
    assert.equal(none.clean.source, 1);
    const cm = await evalTiny(out, 'cm', path.join(dir, 'cm.json'));
    assert.equal(cm.clean.source, 1);
    assert.ok(cm.clean.mse.edited !== null && cm.clean.mse.edited > 0, 'the editor ran');
  });

  it("without --mean/--std it takes the source bundle's normalisation and says so; the foreign classifier then errs", async (t) => {
    const dir = await tempDir(t, 'bundle-new-norm-');
    const out = path.join(dir, 'new');
    const { code, stderr } = await captured(() => bundle(['new', '--from', FIXTURE, '--classifier', FOREIGN_ONNX, '--labels', FOREIGN_LABELS, '--out', out, ...CPU]));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /normalization: mean std from the source bundle; a classifier trained with other statistics needs --mean and --std/);
    const report = await evalTiny(out, 'none', path.join(dir, 'none.json'));
    assert.ok(report.clean.source < 1, `clean accuracy ${report.clean.source}`);
  });

  it('refuses, writing nothing, when the labels do not match the outputs, the target is taken or the new bundle fails its check', async (t) => {
    const dir = await tempDir(t, 'bundle-new-fail-');
    const labels = path.join(dir, 'five.txt');
    await writeFile(labels, 'a\nb\nc\nd\ne\n');
    const out = path.join(dir, 'new');
    const few = await captured(() => bundle(['new', '--from', FIXTURE, '--classifier', FOREIGN_ONNX, '--labels', labels, '--out', out, ...CPU]));
    assert.equal(few.code, 2);
    assert.match(few.stderr, /the classifier has 10 outputs but there are 5 labels: pass --labels FILE/);

    const taken = path.join(dir, 'taken');
    await cp(FOREIGN, taken, { recursive: true });
    const busy = await captured(() => bundle(['new', '--from', FIXTURE, '--classifier', FOREIGN_ONNX, '--out', taken, ...CPU]));
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /--out .*taken: the folder exists and is not empty/);

    // A source bundle whose DDIM unet is broken: the new bundle fails its check and is not kept.
    const broken = path.join(dir, 'broken-source');
    await cp(FIXTURE, broken, { recursive: true });
    await writeFile(path.join(broken, 'unet_dpm.onnx'), 'not a model');
    const failed = await captured(() => bundle(['new', '--from', broken, '--classifier', FOREIGN_ONNX, '--out', out, ...CPU]));
    assert.equal(failed.code, 2);
    assert.match(failed.stdout, new RegExp(`FAIL  dpm  BUNDLE_ONNX_INVALID: ${path.join(broken, 'unet_dpm.onnx')}`));
    assert.match(failed.stderr, /did not pass the check; nothing was written/);
    assert.deepEqual((await readdir(dir)).sort(), ['broken-source', 'five.txt', 'taken']);
  });

  it('exits 2 on bad usage, naming the flag', async () => {
    for (const [argv, flag] of [
      [['new', '--classifier', FOREIGN_ONNX, '--out', '/tmp/x', '--mean', '0.5,0.5'], '--mean'],
      [['new', '--classifier', FOREIGN_ONNX, '--out', '/tmp/x', '--std', '0.5,0,0.5'], '--std'],
      [['new', '--out', '/tmp/x'], '--classifier'],
      [['shrink', FIXTURE], 'shrink'],
    ] as const) {
      await assert.rejects(bundle([...argv]), (error: unknown) => error instanceof UsageError && error.message.includes(flag));
    }
  });
});
