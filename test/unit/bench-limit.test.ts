// The limit's parts: the ONNX graph reader and the extra outputs it adds, multiply-adds counted
// from graphs the test builds (checked against the formula of each op), the pipeline sums, the
// efficiency, the peak (smoke run), and the activation histogram of calibration.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { countMacs, measureModelMacs, shapeProbeNames } from '../../src/bench/macs.js';
import { efficiency, pipelineMacs } from '../../src/bench/limit.js';
import { measurePeak } from '../../src/bench/peak.js';
import { ActivationHistogram } from '../../src/bundle-tools/activation-histogram.js';
import { readManifest } from '../../src/model/manifest-file.js';
import { encodeOnnxModel, ONNX_TYPES, parseOnnxGraph, withExtraOutputs, type InitializerSpec } from '../../src/model/onnx-graph.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/model/bundle', import.meta.url));
const temps: string[] = [];
after(async () => {
  await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
});

function weights(name: string, dims: number[]): InitializerSpec {
  const n = dims.reduce((a, b) => a * b, 1);
  return { name, dataType: ONNX_TYPES.float, dims, data: new Uint8Array(new Float32Array(n).fill(0.01).buffer) };
}

/** x [1,3,8,8] -> Conv 1x1 (16 ch) -> ConvTranspose 2x2 (4 ch) -> Flatten -> Gemm (10); Einsum and MatMul on a side branch. */
function testModel(): Uint8Array {
  const model = encodeOnnxModel({
    opset: 17,
    nodes: [
      { opType: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attributes: { group: 1 } },
      { opType: 'ConvTranspose', inputs: ['c1', 'w2'], outputs: ['c2'] },
      { opType: 'Flatten', inputs: ['c2'], outputs: ['f'] },
      { opType: 'Gemm', inputs: ['f', 'w3'], outputs: ['y'] },
      { opType: 'Reshape', inputs: ['c1', 'shape'], outputs: ['r'] },
      { opType: 'Einsum', inputs: ['r', 'r'], outputs: ['e'], attributes: { equation: 'bij,bkj->bik' } },
      { opType: 'MatMul', inputs: ['e', 'w4'], outputs: ['z'] },
    ],
    inputs: [{ name: 'x', elemType: ONNX_TYPES.float, dims: ['batch', 3, 8, 8] }],
    outputs: [{ name: 'y', elemType: ONNX_TYPES.float, dims: ['batch', 10] }, { name: 'z', elemType: ONNX_TYPES.float, dims: ['batch', 16, 5] }],
    initializers: [
      weights('w1', [16, 3, 1, 1]), weights('b1', [16]), weights('w2', [16, 4, 2, 2]), weights('w3', [4 * 9 * 9, 10]), weights('w4', [16, 5]),
      { name: 'shape', dataType: ONNX_TYPES.int64, dims: [3], data: new Uint8Array(new BigInt64Array([-1n, 16n, 64n]).buffer) },
    ],
  });
  return model;
}

describe('ONNX graphs', () => {
  it('parses nodes, initializer shapes and the inputs that are not weights', () => {
    const graph = parseOnnxGraph(testModel());
    assert.equal(graph.opset, 17);
    assert.deepEqual(graph.inputs, ['x']);
    assert.deepEqual(graph.outputs, ['y', 'z']);
    assert.deepEqual(graph.initializers.get('w1'), [16, 3, 1, 1]);
    assert.deepEqual(graph.nodes.map((n) => n.opType), ['Conv', 'ConvTranspose', 'Flatten', 'Gemm', 'Reshape', 'Einsum', 'MatMul']);
    assert.deepEqual(shapeProbeNames(graph), ['x', 'c1', 'c2', 'f', 'y', 'r', 'e', 'z']);
  });

  it('withExtraOutputs makes onnxruntime return inner tensors too', async () => {
    const bytes = await import('node:fs/promises').then((fs) => fs.readFile(path.join(FIXTURE, 'classifier.onnx')));
    const graph = parseOnnxGraph(bytes);
    const inner = graph.nodes.find((n) => n.opType === 'Conv')!.outputs[0];
    const session = await ort.InferenceSession.create(withExtraOutputs(bytes, [inner]));
    try {
      assert.deepEqual(session.outputNames, [...graph.outputs, inner]);
    } finally {
      await session.release();
    }
  });

  it('reports a file that is not ONNX as BUNDLE_ONNX_INVALID', () => {
    assert.throws(() => parseOnnxGraph(new Uint8Array([0xff, 0xff, 0xff])), { code: 'BUNDLE_ONNX_INVALID' });
  });
});

describe('multiply-adds from the graph', () => {
  it('counts Conv, ConvTranspose, Gemm and MatMul by their formulas, with shapes from one onnxruntime run', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'macs-'));
    temps.push(dir);
    const file = path.join(dir, 'model.onnx');
    await writeFile(file, testModel());
    const counted = await measureModelMacs(file);
    const conv = 16 * 8 * 8 * 3; // output elements x (in channels x 1x1 kernel)
    const convTranspose = 16 * 8 * 8 * (4 * 2 * 2); // input elements x (out channels x kernel)
    const gemm = 10 * (4 * 9 * 9); // stride 1: 8x8 -> 9x9
    const einsum = 16 * 64 * 16; // every index: b i j k
    const matmul = 16 * 5 * 16;
    assert.deepEqual(counted.byOp, { Conv: conv, ConvTranspose: convTranspose, Gemm: gemm, Einsum: einsum, MatMul: matmul });
    assert.deepEqual(counted.uncounted, []);
    assert.equal(counted.macs, conv + convTranspose + gemm + einsum + matmul);
  });

  it('counts an Einsum contraction as the product of its index sizes', () => {
    const graph = { irVersion: 8, opset: 17, inputs: ['q', 'k'], outputs: ['a'], initializers: new Map(), nodes: [{ name: 'e', opType: 'Einsum', domain: '', inputs: ['q', 'k'], outputs: ['a'], attributes: { equation: 'bhdi,bhdj->bhij' } }] };
    const shapes = new Map([['q', [1, 2, 8, 16]], ['k', [1, 2, 8, 16]], ['a', [1, 2, 16, 16]]]);
    assert.equal(countMacs(graph, shapes).macs, 1 * 2 * 8 * 16 * 16);
  });

  it('sums a pipeline: the classifier twice, the VAE once, the UNet per sample-evaluation (DDIM guidance: 2 per step)', async () => {
    const manifest = await readManifest(FIXTURE);
    const macs: Record<string, number> = { 'classifier.onnx': 100, 'vae_encoder.onnx': 10, 'vae_decoder.onnx': 20, 'unet_cm.onnx': 5, 'unet_dpm.onnx': 7 };
    const sums = pipelineMacs(manifest, 'cm', 'dpm', (file) => macs[file]);
    const cmSteps = manifest.editors.cm.steps;
    const dpmSteps = manifest.editors.dpm.steps;
    assert.deepEqual(sums, { classifier: 100, cm4: 230 + cmSteps * 5, dpm20: 230 + 2 * dpmSteps * 7, unet: { cm4: cmSteps, dpm20: 2 * dpmSteps } });
  });

  it('adds a second decode for an editor with a detail residual', async () => {
    const manifest = await readManifest(FIXTURE);
    manifest.editors.cm = { ...manifest.editors.cm, detailResidual: { alpha: 0.5, noiseThreshold: 0.03 } };
    const macs: Record<string, number> = { 'classifier.onnx': 100, 'vae_encoder.onnx': 10, 'vae_decoder.onnx': 20, 'unet_cm.onnx': 5, 'unet_dpm.onnx': 7 };
    const sums = pipelineMacs(manifest, 'cm', 'dpm', (file) => macs[file]);
    assert.equal(sums.cm4, 250 + manifest.editors.cm.steps * 5);
    assert.equal(sums.dpm20, 230 + 2 * manifest.editors.dpm.steps * 7, 'the DPM editor has none');
  });

  it('the shipped bundle: classifier, VAE and UNets as report.py counts them (attention included here)', async () => {
    const classifier = await measureModelMacs(fileURLToPath(new URL('../../models/cifar10/classifier.onnx', import.meta.url)));
    assert.equal(classifier.macs, 118_147_360);
  });

  it('efficiency = frames/s x multiply-adds / peak', () => {
    assert.equal(efficiency(100, 392e6, 94), 0.417);
    assert.equal(efficiency(null, 392e6, 94), null);
    assert.equal(efficiency(100, null, 94), null);
  });

  it('the peak runs fp32 and int8 matrix products through onnxruntime', async () => {
    for (const precision of ['fp32', 'int8'] as const) {
      const peak = await measurePeak({ precision, size: 64, rounds: 2, runsPerRound: 2, intraOpThreads: 1 });
      assert.equal(peak.round_gmacs.length, 2);
      assert.ok(peak.gmacs > 0);
    }
  });
});

describe('activation histogram', () => {
  it('keeps min and max exact and leaves the rarest outliers out of a percentile range', () => {
    const h = new ActivationHistogram();
    const values = new Float32Array(100_000).map((_, i) => ((i % 1000) - 500) / 100); // -5 .. 4.99
    values[7] = 358; // one whitening-channel outlier
    values[8] = -300;
    h.add(values);
    assert.equal(h.min, -300);
    assert.equal(h.max, 358);
    const [lo, hi] = h.range(99.99);
    assert.ok(lo >= -5.2 && lo <= -4.9, `lo ${lo}`);
    assert.ok(hi >= 4.9 && hi <= 5.2, `hi ${hi}`);
    assert.deepEqual(h.range(100), [-300, 358]);
  });

  it('a one-signed tensor has its range on that side only', () => {
    const h = new ActivationHistogram();
    h.add(new Float32Array([0, 0.5, 1, 2]));
    const [lo, hi] = h.range(99.9);
    assert.equal(lo, 0);
    assert.equal(hi, 2);
  });
});
