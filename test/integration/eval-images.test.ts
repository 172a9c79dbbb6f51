// `decorruptor eval --images DIR`: images altered elsewhere, measured as they are, through the real
// engine (onnxruntime) with the random-weight fixture bundle. The files are written by the test.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli/commands/eval.js';
import { UsageError } from '../../src/cli/errors.js';
import { interleavedToPlanes } from '../../src/data/cifar10.js';
import { EvalError } from '../../src/eval/errors.js';
import type { EvalReport } from '../../src/eval/types.js';
import { TINY_LABELS, tinyImage } from '../fixtures/cifar-tiny/generate.js';
import { tempDir } from '../helpers/temp-dir.js';

const BUNDLE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const COUNT = 10;

type Alteration = (rgb: Uint8Array) => Uint8Array;
const ALTERATIONS: Record<string, Alteration> = {
  // Written in this order; the report lists the standard corruptions in benchmark order (fog before
  // contrast), then other names alphabetically.
  zz_inverted: (rgb) => rgb.map((v) => 255 - v),
  contrast: (rgb) => rgb.map((v) => Math.round(128 + (v - 128) * 0.3)),
  fog: (rgb) => rgb.map((v) => Math.min(255, v + 60)),
  // The clean images unchanged: must score exactly as the clean row does (nothing applied by eval).
  copy: (rgb) => rgb,
};

/** CIFAR-10 records (label byte + R, G, B planes) of the first `count` tiny images, altered. */
function records(alter: Alteration, count = COUNT): Buffer {
  return Buffer.concat(
    Array.from({ length: count }, (_, i) => {
      const { target, rgb } = tinyImage(i);
      return Buffer.concat([Buffer.of(target), interleavedToPlanes(alter(rgb))]);
    }),
  );
}

async function imageFolder(t: TestContext): Promise<string> {
  const dir = await tempDir(t, 'eval-images-');
  writeFileSync(path.join(dir, 'batches.meta.txt'), `${TINY_LABELS.join('\n')}\n`);
  writeFileSync(path.join(dir, 'clean.bin'), records((rgb) => rgb));
  for (const [name, alter] of Object.entries(ALTERATIONS)) writeFileSync(path.join(dir, `${name}.bin`), records(alter));
  writeFileSync(path.join(dir, 'notes.txt'), 'not a condition');
  return dir;
}

/** The pixel MSE ([0, 1] scale) of the first n images altered, computed here, apart from eval. */
function expectedMse(alter: Alteration, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const { rgb } = tinyImage(i);
    const altered = alter(rgb);
    for (let q = 0; q < rgb.length; q++) sum += ((altered[q] - rgb[q]) / 255) ** 2;
  }
  return sum / (n * 3072);
}

async function evalImages(dir: string, ...argv: string[]): Promise<{ report: EvalReport; stdout: string }> {
  const json = path.join(dir, 'report.json');
  const lines: string[] = [];
  const { log } = console;
  const { write } = process.stderr;
  console.log = (line: string) => lines.push(line);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.equal(await run(['--images', dir, '--bundle', BUNDLE, '--json', json, ...argv]), 0);
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  return { report: JSON.parse(readFileSync(json, 'utf8')) as EvalReport, stdout: lines.join('\n') };
}

describe('decorruptor eval --images', { timeout: 120_000 }, () => {
  it('measures each DIR/<condition>.bin as given against clean.bin, in the usual report format', async (t) => {
    const dir = await imageFolder(t);
    const { report, stdout } = await evalImages(dir, '--editor', 'cm', '--limit', '8', '--batch', '3');
    assert.equal(report.n, 8);
    assert.equal(report.severity, null);
    assert.equal(report.images, dir);
    assert.equal(report.editor, 'cm');
    assert.deepEqual(Object.keys(report.corruptions), ['fog', 'contrast', 'copy', 'zz_inverted']);
    assert.equal(report.clean.mse.input, 0);
    for (const [name, alter] of Object.entries(ALTERATIONS)) {
      const got = report.corruptions[name].mse.input;
      assert.ok(Math.abs(got - expectedMse(alter, 8)) < 1e-7, `${name}: MSE in ${got}`);
    }
    assert.deepEqual(report.corruptions.copy, report.clean, 'an unchanged copy scores as clean');
    const names = Object.keys(report.corruptions);
    const mean = names.reduce((sum, name) => sum + report.corruptions[name].source, 0) / names.length;
    assert.ok(Math.abs(report.mean.source - mean) < 1e-6);
    assert.match(stdout, new RegExp(`images from ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(as given, no corruption applied here\\), 8 test images per condition, editor cm`));
    assert.match(stdout, /^zz_inverted\s/m);
    assert.match(stdout, /^mean \(4\)\s/m);
  });

  it('without --limit measures every record, and without editor edited = ensemble = source', async (t) => {
    const dir = await imageFolder(t);
    const { report } = await evalImages(dir, '--editor', 'none');
    assert.equal(report.n, COUNT);
    for (const r of [report.clean, report.mean, ...Object.values(report.corruptions)]) {
      assert.equal(r.edited, r.source);
      assert.equal(r.ensemble, r.source);
      assert.equal(r.mse.edited, null);
    }
  });

  /** Breaks the folder with `spoil`, then expects EVAL_IMAGES_INVALID with a message naming `file` and matching `why`. */
  const rejects = async (t: TestContext, spoil: (dir: string) => void, file: string, why: RegExp, ...argv: string[]) => {
    const dir = await imageFolder(t);
    spoil(dir);
    await assert.rejects(run(['--images', dir, '--bundle', BUNDLE, '--editor', 'none', ...argv]), (error: unknown) => {
      assert.ok(error instanceof EvalError && error.code === 'EVAL_IMAGES_INVALID', String(error));
      assert.ok(error.message.includes(path.join(dir, file)), error.message);
      assert.match(error.message, why);
      return true;
    });
  };

  it('names a file whose size is not a whole number of 3073-byte records', (t) =>
    rejects(t, (dir) => writeFileSync(path.join(dir, 'fog.bin'), records(ALTERATIONS.fog).subarray(0, 3073 * 4 + 100)), 'fog.bin', /12392 bytes is not a whole number of 3073-byte/));

  it('names a record with a label the class names do not have', (t) =>
    rejects(t, (dir) => {
      const bytes = records(ALTERATIONS.contrast);
      bytes[3 * 3073] = 12;
      writeFileSync(path.join(dir, 'contrast.bin'), bytes);
    }, 'contrast.bin', /record 3 has label 12, but batches\.meta\.txt names only 10 classes/));

  it('names a file whose images are not the clean ones in the same order', (t) =>
    rejects(t, (dir) => {
      const bytes = records(ALTERATIONS.fog);
      bytes[2 * 3073] = (bytes[2 * 3073] + 1) % 10;
      writeFileSync(path.join(dir, 'fog.bin'), bytes);
    }, 'fog.bin', /record 2 has label 3 \(cat\), but clean\.bin's record 2 has 2 \(bird\)/));

  it('names a file with fewer records than are measured', (t) =>
    rejects(t, (dir) => writeFileSync(path.join(dir, 'copy.bin'), records(ALTERATIONS.copy, 5)), 'copy.bin', /holds 5 records, but clean\.bin holds 10 and 8 are measured/, '--limit', '8'));

  it('names an empty or missing clean.bin and an empty batches.meta.txt', async (t) => {
    await rejects(t, (dir) => writeFileSync(path.join(dir, 'clean.bin'), ''), 'clean.bin', /0 bytes is not a whole number/);
    await rejects(t, (dir) => writeFileSync(path.join(dir, 'batches.meta.txt'), ''), 'batches.meta.txt', /expected 1-256 class names/);
    await rejects(t, (dir) => rmSync(path.join(dir, 'clean.bin')), 'clean.bin', /file not found; an --images folder holds the clean images/);
  });

  it('refuses the flags that shape corruption made here (exit 2)', async (t) => {
    const dir = await imageFolder(t);
    await assert.rejects(run(['--images', dir, '--bundle', BUNDLE, '--severity', '3', '--seed', '1']), (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.match(error.message, /--images measures the files as they are: --severity, --seed does not apply/);
      return true;
    });
  });
});
