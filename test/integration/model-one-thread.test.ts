// Small batches on a second, one-thread session (SessionConfig.oneThreadMaxBatch), on real
// onnxruntime sessions of the bundled models, on this test's main thread.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ModelBundle } from '../../src/model/bundle.js';
import { physicalCoreCount } from '../../src/model/cpu-features.js';
import { OnnxModel, type SessionConfig } from '../../src/model/onnx-model.js';
import { probeInputs } from '../../src/model/run-probe.js';

const BUNDLE = fileURLToPath(new URL('../../models/cifar10', import.meta.url));
const MODELS = ['classifier.onnx', 'cm_unet.onnx'];

async function openModel(file: string, config: Partial<SessionConfig>, logs: string[] = []): Promise<OnnxModel> {
  return OnnxModel.open(`${BUNDLE}/${file}`, { providers: ['cpu'], intraOpThreads: 2, log: (m) => logs.push(m), ...config });
}

/** Inputs that differ from sample to sample, so that a batch mixed up on the way would show. */
function inputsOf(model: OnnxModel, batch: number) {
  const inputs = probeInputs(model, batch);
  for (const input of Object.values(inputs)) {
    if (input.data instanceof Float32Array) input.data.forEach((_, i, a) => (a[i] = Math.sin(i * 0.37) * 0.8));
  }
  return inputs;
}

describe('model: small batches on one thread', () => {
  for (const file of MODELS) {
    it(`${file}: a batch gives the same outputs whichever session runs it`, async () => {
      const split = await openModel(file, { oneThreadMaxBatch: 2 });
      const shared = await openModel(file, { oneThreadMaxBatch: 0 });
      try {
        assert.equal(split.oneThreadMaxBatch, 2);
        assert.equal(shared.oneThreadMaxBatch, 0);
        const output = split.outputNames[0];
        for (const batch of [1, 2, 3, 5]) {
          const inputs = inputsOf(split, batch);
          const a = await split.run(inputs, output, batch);
          const b = await shared.run(inputs, output, batch);
          assert.equal(a.length, b.length);
          assert.deepEqual(Array.from(a), Array.from(b), `batch ${batch}`);
          // Not all equal to one another: the samples really went through the model.
          assert.ok(new Set(Array.from(a)).size > 1);
        }
      } finally {
        await Promise.all([split.release(), shared.release()]);
      }
    });
  }

  it('auto measures the batches at start-up and says so, naming the file', async () => {
    const logs: string[] = [];
    const model = await openModel('cm_unet.onnx', { oneThreadMaxBatch: 'auto' }, logs);
    try {
      assert.ok([0, 1, 2, 4].includes(model.oneThreadMaxBatch), `got ${model.oneThreadMaxBatch}`);
      const line = logs.find((l) => l.startsWith('cm_unet.onnx: batches up to'));
      assert.ok(line, logs.join('\n'));
      assert.match(line, new RegExp(`batches up to ${model.oneThreadMaxBatch} on one thread \\(one thread vs all: batch 1 [0-9.]+ vs [0-9.]+ ms`));
    } finally {
      await model.release();
    }
  });

  it('a session that already runs on one thread gets no second one', async () => {
    const logs: string[] = [];
    const model = await openModel('classifier.onnx', { intraOpThreads: 1, oneThreadMaxBatch: 4 }, logs);
    try {
      assert.equal(model.oneThreadMaxBatch, 0);
      assert.deepEqual(logs, []);
    } finally {
      await model.release();
    }
  });

  it('the bundle reports the choice by role; the gate always runs on one thread', async () => {
    const bundle = await ModelBundle.open(BUNDLE, { providers: ['cpu'], intraOpThreads: 2, oneThreadMaxBatch: 3, editor: 'cm', log: () => {} });
    try {
      assert.deepEqual(bundle.oneThreadMaxBatch, { classifier: 3, vaeEncoder: 3, vaeDecoder: 3, unet: 3, gate: 0 });
    } finally {
      await bundle.release();
    }
  });
});

describe('cpu: physical cores', () => {
  it('counts distinct cores, not hardware threads, and every CPU where cpuinfo does not say', () => {
    const twoThreadsOneCore = 'processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\nphysical id : 0\ncore id : 0\n';
    assert.equal(physicalCoreCount(twoThreadsOneCore), 1);
    const twoSockets = 'processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\nphysical id : 1\ncore id : 0\n';
    assert.equal(physicalCoreCount(twoSockets), Math.min(2, physicalCoreCount('')));
    assert.ok(physicalCoreCount('') >= 1);
    assert.equal(physicalCoreCount('processor : 0\nBogoMIPS : 50\n'), physicalCoreCount(''));
  });
});
