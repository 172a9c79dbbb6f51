/**
 * Multiply-adds of one sample through an ONNX model, counted from its graph: every Conv,
 * ConvTranspose, Gemm, MatMul and Einsum, with the shapes of its operands. Weight shapes come
 * from the initializers; activation shapes from one onnxruntime run at batch 1 of the model with
 * those activations as extra outputs (exact for any exporter, where static shape inference would
 * have to follow every Reshape and Resize). Element-wise work (bias, normalisation, activations)
 * is not counted: it is not what a multiply-add peak measures.
 */
import * as ort from 'onnxruntime-node';
import { readOnnxGraph, withExtraOutputs, type OnnxGraph, type OnnxNode } from '../model/onnx-graph.js';

export const COUNTED_OPS = ['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Einsum'] as const;

export interface ModelMacs {
  /** Multiply-adds of one sample (batch 1). */
  macs: number;
  byOp: Record<string, number>;
  /** Counted ops whose operands had no shape (a node inside a subgraph, an unknown einsum form). */
  uncounted: string[];
}

type Shapes = ReadonlyMap<string, readonly number[]>;

const numel = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function isCounted(node: OnnxNode): boolean {
  return (node.domain === '' || node.domain === 'ai.onnx') && (COUNTED_OPS as readonly string[]).includes(node.opType);
}

/** The activations whose shapes the count needs (node inputs and outputs that are not weights). */
export function shapeProbeNames(graph: OnnxGraph): string[] {
  const names = new Set<string>();
  for (const node of graph.nodes.filter(isCounted)) {
    for (const name of [...node.inputs, ...node.outputs]) if (name && !graph.initializers.has(name)) names.add(name);
  }
  return [...names];
}

/** 2-operand einsum: each index letter's size, multiplied over every letter (contracted or kept). */
function einsumMacs(equation: string, a: readonly number[], b: readonly number[]): number | null {
  const [lhs] = equation.replace(/\s/g, '').split('->');
  const operands = lhs.split(',');
  if (operands.length !== 2 || lhs.includes('.')) return null;
  const sizes = new Map<string, number>();
  for (const [letters, dims] of [[operands[0], a], [operands[1], b]] as const) {
    if (letters.length !== dims.length) return null;
    [...letters].forEach((letter, i) => sizes.set(letter, Math.max(sizes.get(letter) ?? 1, dims[i])));
  }
  return numel([...sizes.values()]);
}

function nodeMacs(node: OnnxNode, shape: (name: string) => readonly number[] | undefined): number | null {
  const [x, w] = [shape(node.inputs[0]), shape(node.inputs[1])];
  const y = shape(node.outputs[0]);
  if (!x || !w || !y) return null;
  switch (node.opType) {
    case 'Conv':
      // Each output element: (input channels / group) x kernel multiply-adds = weight elements / output channels.
      return (numel(y) * numel(w)) / w[0];
    case 'ConvTranspose':
      // Each input element is scattered through (output channels / group) x kernel weights.
      return (numel(x) * numel(w)) / w[0];
    case 'Gemm':
      return numel(y) * (node.attributes.transA === 1 ? x[0] : x[1]);
    case 'MatMul':
      return numel(y) * x[x.length - 1];
    case 'Einsum':
      return einsumMacs(String(node.attributes.equation ?? ''), x, w);
    default:
      return null;
  }
}

/** Counts a graph's multiply-adds given the shape of every probed activation. */
export function countMacs(graph: OnnxGraph, shapes: Shapes): ModelMacs {
  const shape = (name: string) => graph.initializers.get(name) ?? shapes.get(name);
  const result: ModelMacs = { macs: 0, byOp: {}, uncounted: [] };
  for (const node of graph.nodes.filter(isCounted)) {
    const macs = nodeMacs(node, shape);
    if (macs === null) {
      result.uncounted.push(node.name || node.opType);
      continue;
    }
    result.macs += macs;
    result.byOp[node.opType] = (result.byOp[node.opType] ?? 0) + macs;
  }
  return result;
}

/** A feed for every graph input: batch 1 (any symbolic dimension becomes 1), small values of the declared type. */
function probeFeeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const n = numel(dims);
    if (meta.type === 'int64') feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(n).fill(1n), dims);
    else if (meta.type === 'int32') feeds[meta.name] = new ort.Tensor('int32', new Int32Array(n).fill(1), dims);
    // 0.5 everywhere: a timestep of 0.5 and a guidance of 0.5 are as valid as any, and shapes do not depend on values.
    else feeds[meta.name] = new ort.Tensor('float32', new Float32Array(n).fill(0.5), dims);
  }
  return feeds;
}

/** Counts the multiply-adds of one sample through the model in `file` (runs it once in onnxruntime). */
export async function measureModelMacs(file: string): Promise<ModelMacs> {
  const { bytes, graph } = await readOnnxGraph(file);
  const probe = shapeProbeNames(graph).filter((name) => !graph.inputs.includes(name) && !graph.outputs.includes(name));
  const session = await ort.InferenceSession.create(withExtraOutputs(bytes, probe), { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  try {
    const feeds = probeFeeds(session);
    const outputs = await session.run(feeds);
    const shapes = new Map<string, readonly number[]>();
    for (const [name, tensor] of [...Object.entries(feeds), ...Object.entries(outputs)]) shapes.set(name, tensor.dims);
    return countMacs(graph, shapes);
  } finally {
    await session.release();
  }
}
