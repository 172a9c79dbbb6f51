// Opens bundles with onnxruntime on this test's main thread; the engine tests (another process,
// node --test runs files separately) keep onnxruntime in the worker.
import { cp, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ModelBundle } from '../../src/model/bundle.js';
import { readManifest } from '../../src/model/manifest-file.js';
import { BundleError, ModelError } from '../../src/model/errors.js';
import { OnnxModel } from '../../src/model/onnx-model.js';
import { editManifest } from '../helpers/bundle-manifest.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A copy of the fixture bundle in a temp dir, changed by `mutate`. */
async function brokenBundle(mutate: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bundle-'));
  temps.push(dir);
  await cp(FIXTURE, dir, { recursive: true });
  await mutate(dir);
  return dir;
}

const quiet = { providers: ['cpu'], intraOpThreads: 1, log: () => {} };

/** Asserts that opening fails with `code` and a message naming `file`. */
async function assertOpenFails(dir: string, editor: string, code: string, file: string): Promise<BundleError> {
  let caught: unknown;
  try {
    const bundle = await ModelBundle.open(dir, { ...quiet, editor });
    await bundle.release();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof BundleError, `expected a BundleError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(file), `message should name ${file}: ${caught.message}`);
  assert.ok(caught.file?.endsWith(file), `file should be ${file}: ${caught.file}`);
  return caught;
}

describe('ModelBundle.open', () => {
  it('opens the fixture bundle with each editor and with none', async () => {
    for (const editor of ['cm', 'dpm', 'none']) {
      const bundle = await ModelBundle.open(FIXTURE, { ...quiet, editor });
      try {
        assert.equal(bundle.manifest.name, 'fixture-tiny');
        assert.equal(bundle.editor?.kind ?? null, { cm: 'consistency', dpm: 'ddim-ip2p', none: null }[editor]);
        assert.equal(bundle.edit === null, editor === 'none');
        assert.equal(bundle.providers.classifier, 'cpu');
      } finally {
        await bundle.release();
      }
    }
  });

  it('falls back through the provider list and logs it', async () => {
    const logs: string[] = [];
    const bundle = await ModelBundle.open(FIXTURE, { editor: 'none', providers: ['no-such-provider', 'cpu'], log: (m) => logs.push(m) });
    await bundle.release();
    assert.equal(bundle.classifier.provider, 'cpu');
    assert.ok(logs.some((m) => m.includes('no-such-provider')), logs.join('\n'));
  });

  it('fails with PROVIDER_UNAVAILABLE when no listed provider works', async () => {
    await assert.rejects(ModelBundle.open(FIXTURE, { ...quiet, editor: 'none', providers: ['no-such-provider'] }), (error: ModelError) => {
      assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
      return true;
    });
  });

  it('BUNDLE_FILE_MISSING: a file named in the manifest is absent (even one this editor does not use)', async () => {
    const dir = await brokenBundle((d) => unlink(path.join(d, 'unet_dpm.onnx')));
    await assertOpenFails(dir, 'cm', 'BUNDLE_FILE_MISSING', 'unet_dpm.onnx');
    const empty = await brokenBundle((d) => unlink(path.join(d, 'manifest.json')));
    await assertOpenFails(empty, 'cm', 'BUNDLE_FILE_MISSING', 'manifest.json');
  });

  it('BUNDLE_ONNX_INVALID: a corrupt ONNX file (random bytes) fails at open, naming the file', async () => {
    const random = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256));
    const dir = await brokenBundle((d) => writeFile(path.join(d, 'classifier.onnx'), random));
    await assertOpenFails(dir, 'none', 'BUNDLE_ONNX_INVALID', 'classifier.onnx');
    const decoder = await brokenBundle((d) => writeFile(path.join(d, 'vae_decoder.onnx'), random));
    await assertOpenFails(decoder, 'cm', 'BUNDLE_ONNX_INVALID', 'vae_decoder.onnx');
  });

  it('BUNDLE_SHAPE_MISMATCH: classifier input size, label count, latent shape', async () => {
    const size = await brokenBundle((d) => editManifest(d, (m) => (m.classifier.inputSize = { width: 64, height: 64 })));
    const error = await assertOpenFails(size, 'none', 'BUNDLE_SHAPE_MISMATCH', 'classifier.onnx');
    assert.match(error.message, /'image'/);
    const labels = await brokenBundle((d) => editManifest(d, (m) => (m.labels = m.labels.slice(0, 5))));
    await assertOpenFails(labels, 'none', 'BUNDLE_SHAPE_MISMATCH', 'classifier.onnx');
    const latent = await brokenBundle((d) => editManifest(d, (m) => (m.vae.latentShape = [4, 8, 8])));
    await assertOpenFails(latent, 'cm', 'BUNDLE_SHAPE_MISMATCH', 'vae_encoder.onnx');
  });

  it('BUNDLE_IO_MISMATCH: tensor names that the model does not have', async () => {
    const wrongOutput = await brokenBundle((d) => editManifest(d, (m) => (m.classifier.output = 'probs')));
    await assertOpenFails(wrongOutput, 'none', 'BUNDLE_IO_MISMATCH', 'classifier.onnx');
    // A DDIM unet (no guidance input) declared as a consistency editor.
    const swapped = await brokenBundle((d) => editManifest(d, (m) => (m.editors.cm.unet.file = 'unet_dpm.onnx')));
    await assertOpenFails(swapped, 'cm', 'BUNDLE_IO_MISMATCH', 'unet_dpm.onnx');
  });

  it('BUNDLE_EDITOR_UNKNOWN: the editor is not in the manifest', async () => {
    const error = await assertOpenFails(FIXTURE, 'lcm-xl', 'BUNDLE_EDITOR_UNKNOWN', 'manifest.json');
    assert.match(error.message, /cm, dpm/);
  });
});

describe('OnnxModel.run', () => {
  it('splits a batch into chunks for a model exported with a fixed batch size', async () => {
    const dynamic = await OnnxModel.open(path.join(FIXTURE, 'classifier.onnx'), quiet);
    const fixed = await OnnxModel.open(path.join(FIXTURE, 'classifier_static_b1.onnx'), quiet);
    try {
      const batch = 3;
      const images = Float32Array.from({ length: batch * 3 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));
      const input = { image: { data: images, dims: [batch, 3, 32, 32] } };
      const expected = await dynamic.run(input, 'logits', batch);
      const actual = await fixed.run(input, 'logits', batch);
      assert.equal(actual.length, batch * 10);
      actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5, `logit ${i}: ${v} vs ${expected[i]}`));
    } finally {
      await dynamic.release();
      await fixed.release();
    }
  });
});

describe('readManifest', () => {
  it('BUNDLE_MANIFEST_INVALID names the file and the field', async () => {
    const dir = await brokenBundle((d) => editManifest(d, (m) => (m.classifier.inputSize.width = 'wide')));
    await assert.rejects(readManifest(dir), (error: BundleError) => {
      assert.equal(error.code, 'BUNDLE_MANIFEST_INVALID');
      assert.match(error.message, /manifest\.json/);
      assert.match(error.message, /classifier\.inputSize\.width/);
      return true;
    });
  });

  it('BUNDLE_MANIFEST_INVALID for values that disagree (timesteps vs schedule and steps)', async () => {
    const dir = await brokenBundle((d) => editManifest(d, (m) => (m.editors.cm.timesteps = [1200, 759, 499, 259])));
    await assert.rejects(readManifest(dir), (error: BundleError) => {
      assert.equal(error.code, 'BUNDLE_MANIFEST_INVALID');
      assert.match(error.message, /editors\.cm\.timesteps/);
      return true;
    });
  });

  it('BUNDLE_MANIFEST_INVALID for a noise seed that is not a uint32', async () => {
    for (const seed of [-1, 1.5, 2 ** 32]) {
      const dir = await brokenBundle((d) => editManifest(d, (m) => (m.editors.dpm.noiseSeed = seed)));
      await assert.rejects(readManifest(dir), (error: BundleError) => {
        assert.equal(error.code, 'BUNDLE_MANIFEST_INVALID');
        assert.match(error.message, /editors\.dpm\.noiseSeed/);
        return true;
      }, `seed ${seed}`);
    }
  });

  it('BUNDLE_MANIFEST_INVALID for a file that is not JSON', async () => {
    const dir = await brokenBundle((d) => writeFile(path.join(d, 'manifest.json'), '{ name: '));
    await assert.rejects(readManifest(dir), { code: 'BUNDLE_MANIFEST_INVALID' });
  });

  it('fills defaults (schedule, DDIM setAlphaToOne=true, VAE resize)', async () => {
    const dir = await brokenBundle((d) =>
      editManifest(d, (m) => {
        delete m.noiseSchedule;
        delete m.editors.dpm.setAlphaToOne;
        delete m.vae.resize;
      }),
    );
    const manifest = await readManifest(dir);
    assert.equal(manifest.noiseSchedule.betaSchedule, 'scaled_linear');
    assert.equal(manifest.vae.resize, 'area');
    const dpm = manifest.editors.dpm;
    assert.ok(dpm.kind === 'ddim-ip2p' && dpm.setAlphaToOne === true);
  });
});
