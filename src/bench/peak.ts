/**
 * The machine's multiply-add peak as onnxruntime reaches it: one large matrix product, fp32
 * (MatMul) and int8 (MatMulInteger, uint8 activations x int8 weights, the combination onnxruntime's
 * quantized convolutions use), with the weights as an initializer so that onnxruntime pre-packs
 * them as it does a model's. The model is built here, a few hundred bytes plus its weights.
 */
import * as ort from 'onnxruntime-node';
import { encodeOnnxModel, ONNX_TYPES } from '../model/onnx-graph.js';
import { round } from './stats.js';

export type PeakPrecision = 'fp32' | 'int8';

export interface PeakOptions {
  precision: PeakPrecision;
  /** Rows, inner and output size of the product; default 1024 (1.07 G multiply-adds a run). */
  size?: number;
  /** onnxruntime intra-op threads; default: onnxruntime's own choice (the bench passes the engine's count). */
  intraOpThreads?: number;
  rounds?: number;
  runsPerRound?: number;
}

export interface PeakResult {
  precision: PeakPrecision;
  /** The best round, G multiply-adds per second: a peak, and the round least slowed by other work. */
  gmacs: number;
  round_gmacs: number[];
  size: number;
}

/** Deterministic filler: the values do not matter to the speed, only that they are not all zero. */
function fillBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 2654435761) >>> 24;
  return out;
}

function matmulModel(precision: PeakPrecision, size: number): Uint8Array {
  const [m, k, n] = [size, size, size];
  if (precision === 'fp32') {
    const weights = new Float32Array(k * n).map((_, i) => ((i % 251) - 125) / 125);
    return encodeOnnxModel({
      opset: 17,
      nodes: [{ opType: 'MatMul', inputs: ['a', 'b'], outputs: ['y'] }],
      inputs: [{ name: 'a', elemType: ONNX_TYPES.float, dims: [m, k] }],
      outputs: [{ name: 'y', elemType: ONNX_TYPES.float, dims: [m, n] }],
      initializers: [{ name: 'b', dataType: ONNX_TYPES.float, dims: [k, n], data: new Uint8Array(weights.buffer) }],
    });
  }
  return encodeOnnxModel({
    opset: 17,
    nodes: [{ opType: 'MatMulInteger', inputs: ['a', 'b'], outputs: ['y'] }],
    inputs: [{ name: 'a', elemType: ONNX_TYPES.uint8, dims: [m, k] }],
    outputs: [{ name: 'y', elemType: ONNX_TYPES.int32, dims: [m, n] }],
    initializers: [{ name: 'b', dataType: ONNX_TYPES.int8, dims: [k, n], data: fillBytes(k * n) }],
  });
}

export async function measurePeak(options: PeakOptions): Promise<PeakResult> {
  const size = options.size ?? 1024;
  const rounds = options.rounds ?? 5;
  const runsPerRound = options.runsPerRound ?? 8;
  const sessionOptions: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  if (options.intraOpThreads !== undefined) sessionOptions.intraOpNumThreads = options.intraOpThreads;
  const session = await ort.InferenceSession.create(matmulModel(options.precision, size), sessionOptions);
  try {
    const a =
      options.precision === 'fp32'
        ? new ort.Tensor('float32', new Float32Array(size * size).map((_, i) => ((i % 127) - 63) / 63), [size, size])
        : new ort.Tensor('uint8', fillBytes(size * size), [size, size]);
    for (let i = 0; i < 3; i++) await session.run({ a });
    const macsPerRun = size ** 3;
    const roundGmacs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = performance.now();
      for (let i = 0; i < runsPerRound; i++) await session.run({ a });
      const seconds = (performance.now() - started) / 1000;
      roundGmacs.push((runsPerRound * macsPerRun) / seconds / 1e9);
    }
    return { precision: options.precision, gmacs: round(Math.max(...roundGmacs), 1), round_gmacs: roundGmacs.map((g) => round(g, 1)), size };
  } finally {
    await session.release();
  }
}
