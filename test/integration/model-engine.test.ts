// End to end on the tiny fixture bundle (random weights: outputs are checked for shape, labels,
// determinism and plumbing, not for meaning). Engines are closed before the next one starts, so
// only one thread holds onnxruntime at a time.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { InferenceEngine, type InferenceEngineOptions } from '../../src/model/engine.js';
import { BundleError } from '../../src/model/errors.js';
import type { Frame } from '../../src/stream/frame.js';
import type { FrameInference } from '../../src/model/types.js';
import { editManifest } from '../helpers/bundle-manifest.js';

const BUNDLE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const LABELS: string[] = JSON.parse(readFileSync(path.join(BUNDLE, 'manifest.json'), 'utf8')).labels;

function frame(streamId: string, width: number, height: number, seed = 0, seq = 0): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = (x * 255) / width + seed * 40;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x + y + seed) * 37) % 256;
    }
  }
  return { streamId, seq, ptsMs: seq * 40, capturedAt: performance.now(), width, height, data, discontinuity: false };
}

async function withEngine<T>(options: Partial<InferenceEngineOptions>, body: (engine: InferenceEngine) => Promise<T>): Promise<T> {
  const engine = await InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', intraOpThreads: 1, ...options });
  try {
    return await body(engine);
  } finally {
    await engine.close();
  }
}

function assertPrediction(p: FrameInference['source'], topK: number): void {
  assert.ok(LABELS.includes(p.label));
  assert.equal(LABELS[p.index], p.label);
  assert.equal(p.topk.length, topK);
  assert.equal(p.topk[0].label, p.label);
  assert.equal(p.confidence, p.topk[0].probability);
  assert.ok(p.confidence > 0 && p.confidence <= 1);
  for (let i = 1; i < p.topk.length; i++) assert.ok(p.topk[i - 1].probability >= p.topk[i].probability);
}

describe('InferenceEngine (consistency editor)', () => {
  it('edits and classifies a batch of frames of any sizes and streams', async () => {
    const logs: string[] = [];
    await withEngine({ topK: 3, log: (m) => logs.push(m) }, async (engine) => {
      const info = engine.info;
      assert.equal(info.name, 'fixture-tiny');
      assert.deepEqual(info.labels, LABELS);
      assert.equal(info.editor, 'cm');
      assert.equal(info.editorKind, 'consistency');
      assert.equal(info.steps, 4);
      assert.deepEqual(info.timesteps, [999, 759, 499, 259]);
      assert.equal(info.provider, 'cpu');
      assert.deepEqual(info.inputSize, { width: 32, height: 32 });
      assert.deepEqual(info.editSize, { width: 32, height: 32 });
      assert.ok(logs.some((m) => m.includes('ready')));

      const frames = [frame('cam-a', 64, 48), frame('cam-b', 32, 32, 1), frame('cam-a', 17, 9, 2)];
      const before = frames.map((f) => Uint8Array.from(f.data));
      const results = await engine.infer(frames);
      assert.equal(results.length, 3);
      for (const r of results) {
        assertPrediction(r.source, 3);
        assertPrediction(r.edited!, 3);
        assertPrediction(r.ensemble, 3);
        assert.equal(r.editedImage?.width, 32);
        assert.equal(r.editedImage?.height, 32);
        assert.equal(r.editedImage?.data.length, 32 * 32 * 3);
        const t = r.timings;
        assert.equal(t.batchSize, 3);
        for (const key of ['queueMs', 'preprocessMs', 'classifyMs', 'encodeMs', 'unetMs', 'decodeMs', 'ensembleMs', 'totalMs'] as const) {
          assert.ok(Number.isFinite(t[key]) && t[key] >= 0, `${key} = ${t[key]}`);
        }
        assert.ok(t.totalMs >= t.unetMs);
      }
      // The callers' frames are copied, not transferred away.
      frames.forEach((f, i) => assert.deepEqual(f.data, before[i]));
    });
  });

  it('edits a frame the same way every time within a stream (seeded noise), differently across streams', async () => {
    await withEngine({}, async (engine) => {
      const [first] = await engine.infer([frame('cam-a', 40, 30)]);
      const [again] = await engine.infer([frame('cam-a', 40, 30)]);
      assert.deepEqual(again.editedImage!.data, first.editedImage!.data);
      assert.deepEqual(again.ensemble, first.ensemble);

      // Batch composition does not change a frame's edit (kernels may differ by batch size: +-1).
      const [inBatch] = await engine.infer([frame('cam-a', 40, 30), frame('cam-b', 40, 30), frame('cam-c', 8, 8)]);
      const a = first.editedImage!.data;
      const b = inBatch.editedImage!.data;
      assert.ok(a.every((v, i) => Math.abs(v - b[i]) <= 1));

      const [other] = await engine.infer([frame('cam-b', 40, 30)]);
      assert.notDeepEqual(other.editedImage!.data, first.editedImage!.data);
    });
  });

  it("samples every stream with the bundle's pinned noise seed; 'per-stream' gives each its own", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'engine-noise-'));
    try {
      await cp(BUNDLE, dir, { recursive: true });
      await editManifest(dir, (manifest) => (manifest.editors.cm.noiseSeed = 5));
      const edits = async (options: Partial<InferenceEngineOptions>) =>
        withEngine({ bundleDir: dir, ...options }, async (engine) => {
          const results = await engine.infer([frame('cam-a', 32, 32), frame('cam-b', 32, 32)]);
          return { noise: engine.info.noise, images: results.map((r) => r.editedImage!.data) };
        });

      const pinned = await edits({});
      assert.deepEqual(pinned.noise, { source: 'bundle', seed: 5 });
      assert.deepEqual(pinned.images[0], pinned.images[1], 'the same frame on two streams gets the same edit');

      const perStream = await edits({ editorNoise: 'per-stream', noiseSeed: 2 });
      assert.deepEqual(perStream.noise, { source: 'per-stream', seed: 2 });
      assert.notDeepEqual(perStream.images[0], perStream.images[1]);
      assert.notDeepEqual(perStream.images[0], pinned.images[0]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a bundle that pins no noise falls back to per-stream noise', async () => {
    await withEngine({}, async (engine) => assert.deepEqual(engine.info.noise, { source: 'per-stream', seed: 0 }));
    await withEngine({ editor: 'none' }, async (engine) => assert.equal(engine.info.noise, null));
  });

  it('takes other step counts on the LCM schedule', async () => {
    await withEngine({ steps: 2 }, async (engine) => {
      assert.deepEqual(engine.info.timesteps, [999, 499]);
      const [r] = await engine.infer([frame('s', 32, 32)]);
      assert.ok(r.edited);
    });
  });

  it('rejects bad frames and works on afterwards', async () => {
    await withEngine({}, async (engine) => {
      const bad = { ...frame('s', 4, 4), data: new Uint8Array(10) };
      await assert.rejects(engine.infer([bad]), { code: 'ENGINE_FRAME_INVALID' });
      assert.deepEqual(await engine.infer([]), []);
      assert.equal((await engine.infer([frame('s', 4, 4)])).length, 1);
    });
  });
});

describe('InferenceEngine (other configurations)', () => {
  it("editor 'none': the classifier alone, ensemble = source", async () => {
    await withEngine({ editor: 'none', topK: 1 }, async (engine) => {
      assert.equal(engine.info.editorKind, null);
      assert.equal(engine.info.editSize, null);
      const [r] = await engine.infer([frame('s', 32, 32)]);
      assert.equal(r.edited, null);
      assert.equal(r.editedImage, null);
      assert.deepEqual(r.ensemble, r.source);
      assert.equal(r.timings.unetMs, 0);
    });
  });

  it("the DDIM editor and the 'entropy' ensemble", async () => {
    await withEngine({ editor: 'dpm', ensemble: 'entropy' }, async (engine) => {
      assert.equal(engine.info.editorKind, 'ddim-ip2p');
      assert.equal(engine.info.steps, 20);
      assert.equal(engine.info.timesteps[0], 950);
      const [r] = await engine.infer([frame('s', 32, 32)]);
      assert.ok(r.edited);
      const chosen = [r.source, r.edited].some((p) => JSON.stringify(p) === JSON.stringify(r.ensemble));
      assert.ok(chosen, 'a selecting ensemble returns one of the two predictions');
    });
  });
});

describe('InferenceEngine start-up and failures', () => {
  it('fails to start on a corrupt ONNX file, naming it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'engine-bundle-'));
    try {
      await cp(BUNDLE, dir, { recursive: true });
      await writeFile(path.join(dir, 'unet_cm.onnx'), Buffer.alloc(300, 0xab));
      await assert.rejects(InferenceEngine.create({ bundleDir: dir, editor: 'cm' }), (error: BundleError) => {
        assert.ok(error instanceof BundleError);
        assert.equal(error.code, 'BUNDLE_ONNX_INVALID');
        assert.match(error.message, /unet_cm\.onnx/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects invalid options: unknown editor, steps out of range, bad ensemble, bad noise source', async () => {
    await assert.rejects(InferenceEngine.create({ bundleDir: BUNDLE, editor: 'xl' }), { code: 'BUNDLE_EDITOR_UNKNOWN' });
    await assert.rejects(InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', steps: 9 }), { code: 'ENGINE_OPTIONS_INVALID' });
    await assert.rejects(InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', ensemble: 'max' as never }), { code: 'ENGINE_OPTIONS_INVALID' });
    await assert.rejects(InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', editorNoise: 'fresh' as never }), /editorNoise must be one of bundle, per-stream/);
  });

  it('after close(), infer() rejects with ENGINE_CLOSED; batches sent before close still finish', async () => {
    const engine = await InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', intraOpThreads: 1 });
    const inFlight = engine.infer([frame('s', 32, 32)]);
    const closed = engine.close();
    assert.equal((await inFlight).length, 1);
    await closed;
    await assert.rejects(engine.infer([frame('s', 32, 32)]), { code: 'ENGINE_CLOSED' });
  });

  it('a crashed worker rejects every pending call, and later ones', async () => {
    const logs: string[] = [];
    const engine = await InferenceEngine.create({
      bundleDir: BUNDLE,
      editor: 'none',
      workerUrl: new URL('../fixtures/model/crashing-worker.ts', import.meta.url),
      log: (m) => logs.push(m),
    });
    const calls = [engine.infer([frame('s', 2, 2)]), engine.infer([frame('s', 2, 2)])];
    for (const call of calls) await assert.rejects(call, { code: 'ENGINE_WORKER_CRASHED', message: /simulated native crash/ });
    await assert.rejects(engine.infer([frame('s', 2, 2)]), { code: 'ENGINE_WORKER_CRASHED' });
    assert.ok(logs.some((m) => m.includes('pending')));
    await engine.close();
  });
});

describe('InferenceEngine keeps the main thread responsive', () => {
  it('a 10 ms timer keeps firing while long batches run (DDIM 20 steps, batch 64)', async () => {
    await withEngine({ editor: 'dpm', steps: 20 }, async (engine) => {
      const frames = Array.from({ length: 64 }, (_, i) => frame(`cam-${i % 4}`, 48, 36, i));
      let last = performance.now();
      let maxGap = 0;
      let ticks = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
      }, 10);
      const started = performance.now();
      let batches = 0;
      let workerMs = 0;
      try {
        // Keep the worker busy for a while whatever the machine's speed.
        while (performance.now() - started < 600 || batches < 2) {
          const results = await engine.infer(frames);
          workerMs += results[0].timings.totalMs - results[0].timings.queueMs;
          batches++;
        }
      } finally {
        clearInterval(timer);
      }
      const elapsed = performance.now() - started;
      assert.ok(workerMs > 0.5 * elapsed, `the worker was busy (${workerMs.toFixed(0)} of ${elapsed.toFixed(0)} ms)`);
      assert.ok(ticks >= elapsed / 40, `timer fired ${ticks} times in ${elapsed.toFixed(0)} ms`);
      assert.ok(maxGap < 100, `max timer gap ${maxGap.toFixed(1)} ms`);
    });
  });
});

/** A low-contrast picture (luma span about 0.08), which a contrast stretch applies to. */
function flatFrame(streamId: string): Frame {
  const f = frame(streamId, 32, 32);
  for (let i = 0; i < f.data.length; i++) f.data[i] = 110 + Math.round(f.data[i] / 12);
  return f;
}

describe("InferenceEngine: an editor entry's input options", () => {
  for (const editor of ['cm', 'dpm'] as const) {
    it(`${editor}: detailResidual and contrastStretch change the edit, and only where they apply`, async () => {
      const dir = await mkdtemp(path.join(tmpdir(), `engine-options-${editor}-`));
      try {
        await cp(BUNDLE, dir, { recursive: true });
        const edit = async (options: Record<string, unknown>) => {
          await editManifest(dir, (manifest) => {
            const entry = manifest.editors[editor];
            delete entry.detailResidual;
            delete entry.contrastStretch;
            Object.assign(entry, options);
          });
          return withEngine({ bundleDir: dir, editor, editorNoise: 'per-stream', noiseSeed: 1 }, async (engine) => {
            const [result] = await engine.infer([flatFrame('s')]);
            return result.editedImage!.data;
          });
        };
        const plain = await edit({});
        assert.deepEqual(await edit({ detailResidual: { alpha: 0, noiseThreshold: 1 } }), plain, 'alpha 0 adds nothing');
        assert.notDeepEqual(await edit({ detailResidual: { alpha: 1, noiseThreshold: 1 } }), plain, 'alpha 1 adds what the VAE loses');
        const stretch = { percentile: 0.01, maxGain: 8 };
        assert.deepEqual(await edit({ contrastStretch: { ...stretch, maxSpan: 0.01 } }), plain, 'a span above maxSpan is left alone');
        assert.notDeepEqual(await edit({ contrastStretch: { ...stretch, maxSpan: 0.6 } }), plain, 'a flat frame is stretched');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
