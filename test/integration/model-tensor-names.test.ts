// Tensor names a manifest leaves out come from the model where only one tensor can be meant; names
// it gives win. Real sessions on this test's main thread (as model-bundle.test.ts), real fixtures:
// the fixture bundle and the foreign classifier (training/fixtures/make_foreign_classifier.py:
// tensors `input` / `logits`, inputs in [-1, 1], CIFAR-10's labels reversed).
import assert from 'node:assert/strict';
import { copyFile, cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BatchInference } from '../../src/model/batch-inference.js';
import { ModelBundle } from '../../src/model/bundle.js';
import { BundleError } from '../../src/model/errors.js';
import { TINY_COUNT, TINY_LABELS, tinyImage } from '../fixtures/cifar-tiny/generate.js';
import { editManifest } from '../helpers/bundle-manifest.js';
import { tempDir } from '../helpers/temp-dir.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const FOREIGN = fileURLToPath(new URL('../fixtures/model/foreign-classifier', import.meta.url));
const quiet = { providers: ['cpu'], intraOpThreads: 1, log: () => {} };

/** The fixture bundle with the foreign classifier in place of its own; `edit` changes the manifest. */
async function foreignBundle(t: TestContext, edit: (manifest: Record<string, any>) => void): Promise<string> {
  const dir = await tempDir(t, 'foreign-bundle-');
  await cp(FIXTURE, dir, { recursive: true });
  await copyFile(path.join(FOREIGN, 'classifier.onnx'), path.join(dir, 'classifier.onnx'));
  const labels = (await readFile(path.join(FOREIGN, 'labels.txt'), 'utf8')).trim().split('\n');
  await editManifest(dir, (m) => {
    delete m.classifier.input;
    delete m.classifier.output;
    m.labels = labels;
    m.classifier.normalization = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };
    edit(m);
  });
  return dir;
}

async function openFails(dir: string, editor: string): Promise<BundleError> {
  let caught: unknown;
  try {
    await (await ModelBundle.open(dir, { ...quiet, editor })).release();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BundleError, `expected a BundleError, got ${String(caught)}`);
  return caught;
}

/** Share of the tiny CIFAR images the bundle's classifier labels right (editor off). */
async function tinyAccuracy(dir: string): Promise<number> {
  const bundle = await ModelBundle.open(dir, { ...quiet, editor: 'none' });
  try {
    const inference = BatchInference.create(bundle, { noiseSeed: 0, editorNoise: 'per-stream', ensemble: 'sum', topK: 1 });
    const images = Array.from({ length: TINY_COUNT }, (_, i) => tinyImage(i));
    const { frames } = await inference.run(images.map(({ rgb }) => ({ streamId: 'tiny', width: 32, height: 32, data: rgb })));
    return frames.filter((f, i) => f.source.label === TINY_LABELS[images[i].target]).length / TINY_COUNT;
  } finally {
    await bundle.release();
  }
}

describe('tensor names from the model', () => {
  it("takes a one-input, one-output classifier's names from the model, and runs it with the manifest's normalisation", async (t) => {
    const dir = await foreignBundle(t, () => {});
    const bundle = await ModelBundle.open(dir, { ...quiet, editor: 'none' });
    await bundle.release();
    assert.deepEqual(bundle.classifierIo, { input: 'input', output: 'logits' });
    assert.equal(await tinyAccuracy(dir), 1);
    // The same classifier given CIFAR-10's statistics instead of its own gets some images wrong.
    const cifarStats = await foreignBundle(t, (m) => (m.classifier.normalization = { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] }));
    assert.ok((await tinyAccuracy(cifarStats)) < 1);
  });

  it("a name the manifest gives wins, and one the model lacks fails naming the file, the field and the model's names", async (t) => {
    const wrong = await foreignBundle(t, (m) => (m.classifier.input = 'image'));
    const error = await openFails(wrong, 'none');
    assert.equal(error.code, 'BUNDLE_IO_MISMATCH');
    assert.ok(error.file?.endsWith('classifier.onnx'), error.message);
    assert.match(error.message, /has no input tensor 'image', which classifier\.input names \(inputs: input\)/);
  });

  it('opens the fixture bundle with every tensor name left out (VAE from the model, unets by the conventional names)', async (t) => {
    const dir = await tempDir(t, 'unnamed-bundle-');
    await cp(FIXTURE, dir, { recursive: true });
    await editManifest(dir, (m) => {
      for (const key of ['input', 'output']) delete m.classifier[key];
      for (const key of ['encoderInput', 'encoderOutput', 'decoderInput', 'decoderOutput']) delete m.vae[key];
      for (const editor of Object.values<any>(m.editors)) {
        for (const key of ['sampleInput', 'condInput', 'timestepInput', 'guidanceInput', 'output']) delete editor.unet[key];
      }
    });
    for (const editor of ['cm', 'dpm']) {
      const bundle = await ModelBundle.open(dir, { ...quiet, editor });
      await bundle.release();
      assert.deepEqual(bundle.classifierIo, { input: 'image', output: 'logits' });
      assert.deepEqual(bundle.edit?.vaeIo, { encoderInput: 'image', encoderOutput: 'latent_mean', decoderInput: 'latent', decoderOutput: 'image' });
      assert.deepEqual(bundle.edit?.unetIo, { sample: 'sample', cond: 'cond', timestep: 'timestep', guidance: editor === 'cm' ? 'guidance' : null, output: 'eps' });
    }
  });

  it('does not guess between two tensors that could both be meant', async (t) => {
    // The DDIM unet as a classifier: two [B,4,16,16] inputs, neither called 'image'.
    const dir = await tempDir(t, 'ambiguous-bundle-');
    await cp(FIXTURE, dir, { recursive: true });
    await editManifest(dir, (m) => {
      m.classifier.file = 'unet_dpm.onnx';
      delete m.classifier.input;
      delete m.classifier.output;
    });
    const error = await openFails(dir, 'none');
    assert.equal(error.code, 'BUNDLE_IO_MISMATCH');
    assert.ok(error.file?.endsWith('unet_dpm.onnx'), error.message);
    assert.match(error.message, /cannot tell which input is classifier\.input: sample float32\[batch,4,16,16\], cond float32\[batch,4,16,16\] could be/);
  });
});
