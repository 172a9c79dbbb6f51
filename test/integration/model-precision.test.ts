// The precision choice on real onnxruntime sessions: the int8 fixture (the tiny bundle's models
// by relative path, with the int8 variant training/fixtures/make_int8_fixture.sh wrote) and the
// plain fixture, which has no variant. onnxruntime runs on this test's main thread, as in
// model-bundle.test.ts; the engine test at the end keeps it in the worker.
import { cp, mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ModelBundle } from '../../src/model/bundle.js';
import { InferenceEngine } from '../../src/model/engine.js';
import { BundleError } from '../../src/model/errors.js';
import { int8DotInstructions } from '../../src/model/cpu-features.js';
import { editManifest } from '../helpers/bundle-manifest.js';

const INT8 = fileURLToPath(new URL('../fixtures/model/int8', import.meta.url));
const PLAIN = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function open(dir: string, precision: 'fp32' | 'int8' | 'auto', extra: Partial<Parameters<typeof ModelBundle.open>[1]> = {}) {
  const logs: string[] = [];
  const bundle = await ModelBundle.open(dir, { providers: ['cpu'], intraOpThreads: 1, editor: 'cm', precision, log: (m) => logs.push(m), ...extra });
  return { bundle, logs };
}

describe('model.precision', () => {
  it('fp32 opens the fp32 models even where the bundle has int8 ones', async () => {
    const { bundle } = await open(INT8, 'fp32');
    try {
      assert.deepEqual(bundle.precisions, { classifier: 'fp32', vaeEncoder: 'fp32', vaeDecoder: 'fp32', unet: 'fp32' });
      assert.ok(bundle.classifier.file.endsWith(path.join('bundle', 'classifier.onnx')));
    } finally {
      await bundle.release();
    }
  });

  it('int8 opens each int8 variant, and fp32 where a model has none (this fixture decoder)', async () => {
    const { bundle } = await open(INT8, 'int8');
    try {
      assert.deepEqual(bundle.precisions, { classifier: 'int8', vaeEncoder: 'int8', vaeDecoder: 'fp32', unet: 'int8' });
      assert.ok(bundle.classifier.file.endsWith(path.join('int8', 'classifier.int8.onnx')));
      assert.ok(bundle.edit!.unet.file.endsWith('unet_cm.int8.onnx'));
    } finally {
      await bundle.release();
    }
  });

  it('a bundle without an int8 variant runs fp32 under int8 and auto, and says so', async () => {
    for (const precision of ['int8', 'auto'] as const) {
      const { bundle, logs } = await open(PLAIN, precision, { int8Instructions: ['avx512_vnni'] });
      try {
        assert.deepEqual(new Set(Object.values(bundle.precisions)), new Set(['fp32']));
        assert.ok(logs.some((m) => /no int8 variant/.test(m)), logs.join('\n'));
      } finally {
        await bundle.release();
      }
    }
  });

  it('auto keeps fp32 on a CPU without int8 dot-product instructions, without measuring', async () => {
    const { bundle, logs } = await open(INT8, 'auto', { int8Instructions: [] });
    try {
      assert.deepEqual(new Set(Object.values(bundle.precisions)), new Set(['fp32']));
      assert.ok(logs.some((m) => /classifier: fp32 \(this CPU has no int8 dot-product instructions\)/.test(m)), logs.join('\n'));
    } finally {
      await bundle.release();
    }
  });

  it('auto with the instructions measures each model that has a variant and keeps the faster', async () => {
    const { bundle, logs } = await open(INT8, 'auto', { int8Instructions: ['avx512_vnni'], probeBatch: 2 });
    try {
      for (const role of ['classifier', 'vaeEncoder', 'unet']) {
        const line = logs.find((m) => m.startsWith(`${role}: `));
        assert.match(line ?? '', new RegExp(`^${role}: (int8|fp32) \\(int8 [\\d.]+ ms vs fp32 [\\d.]+ ms at batch 2 \\(avx512_vnni\\)\\)$`));
        assert.equal(bundle.precisions[role], line!.split(' ')[1]);
      }
      assert.equal(bundle.precisions.vaeDecoder, 'fp32');
      assert.ok(!logs.some((m) => m.startsWith('vaeDecoder: ')), 'a model without a variant is not measured');
    } finally {
      await bundle.release();
    }
  });

  it('the variant must name model files of the manifest, and its files must exist', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'int8-'));
    temps.push(dir);
    await cp(PLAIN, dir, { recursive: true });
    await cp(path.join(INT8, 'classifier.int8.onnx'), path.join(dir, 'classifier.int8.onnx'));
    const variant = (files: Record<string, string>) => (m: Record<string, any>) => {
      m.variants = { int8: { files } };
    };
    await editManifest(dir, variant({ 'classifier.onnx': 'classifier.int8.onnx' }));
    const { bundle } = await open(dir, 'int8');
    assert.equal(bundle.precisions.classifier, 'int8');
    await bundle.release();
    await unlink(path.join(dir, 'classifier.int8.onnx'));
    await assert.rejects(open(dir, 'fp32'), (error: unknown) => error instanceof BundleError && error.code === 'BUNDLE_FILE_MISSING' && error.message.includes('classifier.int8.onnx'));
    await editManifest(dir, variant({ 'nothing.onnx': 'classifier.onnx' }));
    await assert.rejects(open(dir, 'fp32'), (error: unknown) => error instanceof BundleError && error.code === 'BUNDLE_MANIFEST_INVALID' && /variants\.int8\.files: 'nothing\.onnx'/.test(error.message));
  });

  it('the engine reports the precision of each session and infers with int8 models', async () => {
    const engine = await InferenceEngine.create({ bundleDir: INT8, editor: 'cm', precision: 'int8', intraOpThreads: 1 });
    try {
      assert.equal(engine.info.precisions.classifier, 'int8');
      const frame = { streamId: 's', seq: 0, ptsMs: 0, capturedAt: 0, width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) };
      const [result] = await engine.infer([frame as never]);
      assert.equal(result.distribution.length, 10);
      assert.ok(Math.abs(result.distribution.reduce((a, b) => a + b, 0) - 1) < 1e-3);
    } finally {
      await engine.close();
    }
  });
});

describe('int8 dot-product instructions', () => {
  it('are read from the flags line of /proc/cpuinfo (x86) or the Features line (Arm)', () => {
    assert.deepEqual(int8DotInstructions('processor : 0\nflags : fpu sse2 avx2 avx512f avx512_vnni avx512_bf16\n'), ['avx512_vnni']);
    assert.deepEqual(int8DotInstructions('flags : fpu sse2 avx2 fma\n'), []);
    assert.deepEqual(int8DotInstructions('Features : fp asimd asimddp i8mm\n'), ['asimddp', 'i8mm']);
    assert.deepEqual(int8DotInstructions(''), []);
  });
});
