/**
 * The ONNX graph as data: nodes, initializer shapes, inputs and outputs, read with protobufjs and
 * the part of onnx.proto (onnx/onnx.proto3, field numbers unchanged since IR version 3) that
 * graph analysis needs. Fields left out of the schema are skipped by the reader, and newer IR
 * versions decode the same way; raw tensor bytes come out as views of the file's buffer (no
 * copy), and the typed-data fields (float_data...) are left out, so that they are skipped too.
 *
 * Models are never re-encoded from this subset (that would drop what it leaves out):
 * `withExtraOutputs` appends a second, tiny ModelProto to the original bytes, and protobuf's rule
 * that a message read twice is merged (repeated fields appended) makes the pair one model with
 * more graph outputs.
 *
 * `readOnnxWeights` counts the weights from the same subset (`bundle inspect`).
 *
 * Plain file reading, no onnxruntime: safe on any thread.
 */
import { readFile } from 'node:fs/promises';
import protobuf from 'protobufjs';
import { BundleError } from './errors.js';

const ONNX_SUBSET = `
syntax = "proto3";
package onnx;
message ModelProto {
  int64 ir_version = 1;
  GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
}
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  repeated AttributeProto attribute = 5;
  string domain = 7;
}
message AttributeProto {
  string name = 1;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  int32 type = 20;
}
message TensorProto {
  repeated int64 dims = 1;
  int32 data_type = 2;
  string name = 8;
  bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13;
}
message StringStringEntryProto { string key = 1; string value = 2; }
message ValueInfoProto { string name = 1; TypeProto type = 2; }
message TypeProto { TypeProtoTensor tensor_type = 1; }
message TypeProtoTensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
message TensorShapeProto { repeated Dimension dim = 1; }
message Dimension { int64 dim_value = 1; string dim_param = 2; }
`;

const root = protobuf.parse(ONNX_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** onnx.TensorProto.DataType values this project writes or reads. */
export const ONNX_TYPES = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  /** Integer, integer-list and string attributes by name (enough for shapes and equations). */
  attributes: Record<string, number | number[] | string>;
}

export interface OnnxGraph {
  irVersion: number;
  opset: number;
  nodes: OnnxNode[];
  /** Dimensions of each initializer (weights), by tensor name. */
  initializers: Map<string, number[]>;
  /** Graph inputs that are not initializers. */
  inputs: string[];
  outputs: string[];
}

/** What an ONNX file holds that onnxruntime's session does not tell (`bundle inspect`). */
export interface OnnxWeights {
  /** Elements of the initializers: the weights. */
  parameters: number;
  /** Elements of Constant-node tensors (folded shapes and scalars, or weights an exporter baked in). */
  constants: number;
  /** External data files the tensors name (paths relative to the model file), in first-seen order. */
  externalFiles: string[];
}

interface DecodedTensor {
  name?: string;
  dims?: number[];
  external_data?: Array<{ key?: string; value?: string }>;
}

interface DecodedAttribute {
  name: string;
  i?: number;
  ints?: number[];
  s?: Uint8Array;
  t?: DecodedTensor;
  g?: DecodedGraph;
  tensors?: DecodedTensor[];
  graphs?: DecodedGraph[];
  type?: number;
}

interface DecodedNode {
  name?: string;
  op_type?: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: DecodedAttribute[];
}

interface DecodedGraph {
  node?: DecodedNode[];
  initializer?: DecodedTensor[];
  input?: Array<{ name?: string }>;
  output?: Array<{ name?: string }>;
}

interface DecodedModel {
  ir_version?: number;
  opset_import?: Array<{ domain?: string; version?: number }>;
  graph?: DecodedGraph;
}

// onnx.AttributeProto.AttributeType: INT, STRING, INTS.
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_STRING = 3;
const ATTRIBUTE_INTS = 7;

function attributeValue(a: DecodedAttribute): number | number[] | string | undefined {
  if (a.type === ATTRIBUTE_INT) return a.i ?? 0;
  if (a.type === ATTRIBUTE_INTS) return a.ints ?? [];
  if (a.type === ATTRIBUTE_STRING) return Buffer.from(a.s ?? []).toString('utf8');
  return undefined;
}

/** The model and its main graph. @throws BundleError BUNDLE_ONNX_INVALID */
function decodeModel(bytes: Uint8Array, file: string): DecodedModel & { graph: DecodedGraph } {
  let decoded: DecodedModel;
  try {
    decoded = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, arrays: true, defaults: false }) as DecodedModel;
  } catch (error) {
    throw new BundleError('BUNDLE_ONNX_INVALID', file, `not an ONNX model (${(error as Error).message})`, { cause: error });
  }
  if (!decoded.graph) throw new BundleError('BUNDLE_ONNX_INVALID', file, 'not an ONNX model (no graph)');
  return decoded as DecodedModel & { graph: DecodedGraph };
}

/** The graph of an ONNX model given as bytes. @throws BundleError BUNDLE_ONNX_INVALID */
export function parseOnnxGraph(bytes: Uint8Array, file = '(model bytes)'): OnnxGraph {
  const decoded = decodeModel(bytes, file);
  const graph = decoded.graph;
  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t.dims ?? []]));
  const nodes = (graph.node ?? []).map((n): OnnxNode => {
    const attributes: OnnxNode['attributes'] = {};
    for (const a of n.attribute ?? []) {
      const value = attributeValue(a);
      if (value !== undefined) attributes[a.name] = value;
    }
    return { name: n.name ?? '', opType: n.op_type ?? '', domain: n.domain ?? '', inputs: n.input ?? [], outputs: n.output ?? [], attributes };
  });
  const defaultOpset = (decoded.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    irVersion: decoded.ir_version ?? 0,
    opset: defaultOpset?.version ?? 0,
    nodes,
    initializers,
    inputs: (graph.input ?? []).map((v) => v.name ?? '').filter((name) => !initializers.has(name)),
    outputs: (graph.output ?? []).map((v) => v.name ?? ''),
  };
}

async function readModelFile(file: string): Promise<Buffer> {
  return readFile(file).catch((error: unknown) => {
    throw new BundleError('BUNDLE_FILE_MISSING', file, 'cannot read the model file', { cause: error });
  });
}

/** Reads and parses an ONNX file. @throws BundleError BUNDLE_FILE_MISSING, BUNDLE_ONNX_INVALID */
export async function readOnnxGraph(file: string): Promise<{ bytes: Uint8Array; graph: OnnxGraph }> {
  const bytes = await readModelFile(file);
  return { bytes, graph: parseOnnxGraph(bytes, file) };
}

/** Counts the weights of the ONNX model in `file`, subgraphs included. @throws BundleError BUNDLE_FILE_MISSING, BUNDLE_ONNX_INVALID */
export async function readOnnxWeights(file: string): Promise<OnnxWeights> {
  const weights: OnnxWeights = { parameters: 0, constants: 0, externalFiles: [] };
  const count = (tensor: DecodedTensor, kind: 'parameters' | 'constants') => {
    weights[kind] += (tensor.dims ?? []).reduce((product, dim) => product * dim, 1);
    for (const entry of tensor.external_data ?? []) {
      if (entry.key === 'location' && entry.value !== undefined && !weights.externalFiles.includes(entry.value)) weights.externalFiles.push(entry.value);
    }
  };
  const walk = (graph: DecodedGraph) => {
    for (const tensor of graph.initializer ?? []) count(tensor, 'parameters');
    for (const attribute of (graph.node ?? []).flatMap((n) => n.attribute ?? [])) {
      for (const tensor of [...(attribute.t ? [attribute.t] : []), ...(attribute.tensors ?? [])]) count(tensor, 'constants');
      for (const subgraph of [...(attribute.g ? [attribute.g] : []), ...(attribute.graphs ?? [])]) walk(subgraph);
    }
  };
  walk(decodeModel(await readModelFile(file), file).graph);
  return weights;
}

/**
 * The model in `bytes` with `names` (tensors computed inside the graph) as additional graph
 * outputs, after its own. Their types are left for onnxruntime to infer.
 */
export function withExtraOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const extra = ModelProto.encode(ModelProto.fromObject({ graph: { output: names.map((name) => ({ name })) } })).finish();
  const merged = new Uint8Array(bytes.length + extra.length);
  merged.set(bytes, 0);
  merged.set(extra, bytes.length);
  return merged;
}

export interface TensorSpec {
  name: string;
  elemType: number;
  /** Numbers are fixed sizes, strings symbolic ones. */
  dims: Array<number | string>;
}

export interface InitializerSpec {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian element bytes. */
  data: Uint8Array;
}

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  domain?: string;
  /** Integer and string attributes. */
  attributes?: Record<string, number | string>;
}

function encodeAttribute(name: string, value: number | string) {
  return typeof value === 'number' ? { name, type: ATTRIBUTE_INT, i: value } : { name, type: ATTRIBUTE_STRING, s: Buffer.from(value, 'utf8') };
}

/** Encodes a one-graph model (default domain at `opset`) from its parts: for models the bench builds itself. */
export function encodeOnnxModel(spec: { opset: number; nodes: NodeSpec[]; inputs: TensorSpec[]; outputs: TensorSpec[]; initializers?: InitializerSpec[] }): Uint8Array {
  const valueInfo = (t: TensorSpec) => ({
    name: t.name,
    type: { tensor_type: { elem_type: t.elemType, shape: { dim: t.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
  });
  const model = {
    ir_version: 8,
    opset_import: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'generated',
      node: spec.nodes.map((n, i) => ({
        name: `${n.opType}_${i}`, op_type: n.opType, domain: n.domain ?? '', input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([name, value]) => encodeAttribute(name, value)),
      })),
      initializer: (spec.initializers ?? []).map((t) => ({ name: t.name, data_type: t.dataType, dims: t.dims, raw_data: t.data })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
