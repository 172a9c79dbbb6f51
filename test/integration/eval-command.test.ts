// The benchmark end to end on the tiny CIFAR-format fixture and the random-weight fixture bundle:
// the numbers mean nothing, the shape, ranges and plumbing are what is checked.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run } from '../../src/cli/commands/eval.js';
import { UsageError, exitCodeFor } from '../../src/cli/errors.js';
import { loadCifar10 } from '../../src/data/cifar10.js';
import { EvalError } from '../../src/eval/errors.js';
import { evaluate } from '../../src/eval/evaluate.js';
import type { ConditionResult, EvalReport } from '../../src/eval/types.js';
import { InferenceEngine } from '../../src/model/engine.js';
import { tinyCifarDir } from '../fixtures/cifar-tiny/generate.js';
import { editManifest } from '../helpers/bundle-manifest.js';

const BUNDLE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const DATA = tinyCifarDir();
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const execFileAsync = promisify(execFile);
let dir: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'eval-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Accuracies and the edit rate in [0, 1], and `mse` with `input` in [0, 1] and `edited` in [0, 1] (with editor) or null. */
function assertCondition(a: unknown, where: string, withEditor: boolean): asserts a is ConditionResult {
  assert.deepEqual(Object.keys(a as object).sort(), ['editRate', 'edited', 'ensemble', 'mse', 'source'], where);
  const { mse, ...accuracy } = a as ConditionResult;
  for (const [key, value] of Object.entries(accuracy)) {
    assert.ok(typeof value === 'number' && value >= 0 && value <= 1, `${where}.${key} = ${value}`);
  }
  assert.deepEqual(Object.keys(mse).sort(), ['edited', 'input'], `${where}.mse`);
  assert.ok(mse.input >= 0 && mse.input <= 1, `${where}.mse.input = ${mse.input}`);
  if (withEditor) assert.ok(mse.edited !== null && mse.edited >= 0 && mse.edited <= 1, `${where}.mse.edited = ${mse.edited}`);
  else assert.equal(mse.edited, null, `${where}.mse.edited`);
}

function assertReportShape(report: EvalReport, n: number, corruptions: string[]): void {
  assert.deepEqual(Object.keys(report).sort(), ['clean', 'corruptions', 'editor', 'ensemble', 'gate', 'mean', 'n', 'noise', 'severity']);
  assert.equal(report.n, n);
  assert.equal(report.ensemble, 'sum', 'the default ensemble');
  const withEditor = report.editor !== 'none';
  assertCondition(report.clean, 'clean', withEditor);
  assert.equal(report.clean.mse.input, 0, 'the clean frames are the clean images');
  assert.deepEqual(Object.keys(report.corruptions), corruptions);
  for (const name of corruptions) {
    assertCondition(report.corruptions[name], name, withEditor);
    assert.ok(report.corruptions[name].mse.input > 0, `${name} changes the images`);
  }
  assertCondition(report.mean, 'mean', withEditor);
  const mean = (value: (r: ConditionResult) => number) => corruptions.reduce((sum, c) => sum + value(report.corruptions[c]), 0) / corruptions.length;
  for (const key of ['source', 'edited', 'ensemble'] as const) {
    assert.ok(Math.abs(report.mean[key] - mean((r) => r[key])) < 1e-6, `mean.${key}`);
  }
  assert.ok(Math.abs(report.mean.mse.input - mean((r) => r.mse.input)) < 1e-7, 'mean.mse.input');
  if (withEditor) assert.ok(Math.abs(report.mean.mse.edited! - mean((r) => r.mse.edited!)) < 1e-7, 'mean.mse.edited');
}

describe('decorruptor eval', { timeout: 120_000 }, () => {
  it('writes the JSON report and the SVG chart, n = --limit (editor cm)', async () => {
    const json = path.join(dir, 'cm.json');
    const svg = path.join(dir, 'cm.svg');
    const { stdout } = await execFileAsync(process.execPath, [
      '--import', 'tsx', MAIN, 'eval',
      '--data', DATA, '--bundle', BUNDLE, '--editor', 'cm', '--limit', '12', '--batch', '5',
      '--severity', '3', '--corruptions', 'fog,gaussian_noise', '--json', json, '--svg', svg,
    ]);
    const report = JSON.parse(readFileSync(json, 'utf8')) as EvalReport;
    assertReportShape(report, 12, ['fog', 'gaussian_noise']);
    assert.equal(report.severity, 3);
    assert.equal(report.editor, 'cm');
    // The fixture bundle pins no noise, so the default falls back to a noise per image.
    assert.deepEqual(report.noise, { source: 'per-stream', seed: 0 });
    assert.match(stdout, /editor cm, a noise per image /);
    assert.match(stdout, /^condition\s+source\s+edited\s+ensemble\s+gain\s+MSE in\s+MSE out$/m);
    assert.match(stdout, /^clean\s.*\s0\.0000\s+\d\.\d{4}$/m);
    assert.match(stdout, /^mean \(2\)\s.*\s\d\.\d{4}\s+\d\.\d{4}$/m);
    assert.match(readFileSync(svg, 'utf8'), /^<svg[^>]*>[\s\S]*<\/svg>\n$/);
  });

  it('with --editor none, edited and ensemble equal source', async () => {
    const json = path.join(dir, 'none.json');
    const code = await quietly(() => run(['--data', DATA, '--bundle', BUNDLE, '--editor', 'none', '--limit', '20', '--corruptions', 'contrast,pixelate', '--json', json]));
    assert.equal(code, 0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as EvalReport;
    assertReportShape(report, 20, ['contrast', 'pixelate']);
    assert.equal(report.editor, 'none');
    assert.equal(report.noise, null);
    for (const a of [report.clean, report.mean, ...Object.values(report.corruptions)]) {
      assert.equal(a.edited, a.source);
      assert.equal(a.ensemble, a.source);
    }
  });

  it("measures with the bundle's pinned noise by default, and a noise per image with --noise per-image", async () => {
    const pinned = path.join(dir, 'pinned-bundle');
    cpSync(BUNDLE, pinned, { recursive: true });
    await editManifest(pinned, (manifest) => (manifest.editors.cm.noiseSeed = 11));
    const noiseOf = async (...argv: string[]) => {
      const json = path.join(dir, 'noise.json');
      await quietly(() => run(['--data', DATA, '--bundle', pinned, '--editor', 'cm', '--limit', '2', '--corruptions', 'fog', '--json', json, ...argv]));
      return (JSON.parse(readFileSync(json, 'utf8')) as EvalReport).noise;
    };
    assert.deepEqual(await noiseOf(), { source: 'bundle', seed: 11 });
    assert.deepEqual(await noiseOf('--noise', 'per-image'), { source: 'per-stream', seed: 0 });
  });

  for (const [argv, flag] of [
    [['--severity', '9'], '--severity'],
    [['--corruptions', 'fog,smoke'], '--corruptions'],
    [['--limit', '0'], '--limit'],
    [['--editor', 'nope'], '--editor'],
    [['--noise', 'fresh'], '--noise'],
  ] as const) {
    it(`exits 2 naming ${flag} for ${argv.join(' ')}`, async () => {
      await assert.rejects(run(['--data', DATA, '--bundle', BUNDLE, '--limit', '2', ...argv]), (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.equal(exitCodeFor(error), 2);
        assert.ok(error.message.includes(flag), error.message);
        return true;
      });
    });
  }

  it('the CLI process itself exits with status 2 on a bad flag', async () => {
    const result = await execFileAsync(process.execPath, ['--import', 'tsx', MAIN, 'eval', '--severity', '9']).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--severity/);
  });
});

describe('evaluate()', { timeout: 60_000 }, () => {
  it('is deterministic, and independent of the batch size', async () => {
    const dataset = await loadCifar10(DATA, 'test', 10);
    const engine = await InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', intraOpThreads: 1 });
    try {
      const progress: number[] = [];
      const options = { engine, dataset, severity: 5 as const, corruptions: ['shot_noise', 'frost'] as const };
      const a = await evaluate({ ...options, corruptions: [...options.corruptions], batchSize: 4, onProgress: (done) => progress.push(done) });
      const b = await evaluate({ ...options, corruptions: [...options.corruptions], batchSize: 7 });
      assertReportShape(a, 10, ['shot_noise', 'frost']);
      assert.deepEqual(a, b);
      assert.equal(progress.at(-1), 30);
      assert.deepEqual(progress, [...progress].sort((x, y) => x - y));
    } finally {
      await engine.close();
    }
  });

  it('refuses a data set whose classes the model does not know (EVAL_LABELS_MISMATCH)', async () => {
    const dataset = await loadCifar10(DATA, 'test', 2);
    const engine = { info: { labels: ['x', 'y'], editor: 'none' }, infer: async () => [] } as unknown as InferenceEngine;
    await assert.rejects(
      evaluate({ engine, dataset, severity: 1, corruptions: ['fog'] }),
      (error: unknown) => error instanceof EvalError && error.code === 'EVAL_LABELS_MISMATCH',
    );
  });
});

/** Runs a command with console.log silenced (its table is checked through the JSON instead). */
async function quietly<T>(body: () => Promise<T>): Promise<T> {
  const log = console.log;
  const write = process.stderr.write;
  console.log = () => {};
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await body();
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
}
