/**
 * What an ONNX file holds that onnxruntime's session does not tell: how many weights it has and
 * which external data files they live in. It walks the protobuf wire format of ModelProto just far
 * enough (graph -> initializers and Constant nodes, subgraphs included) and skips everything else
 * by its length, so it never decodes tensor data.
 */
import { readFile } from 'node:fs/promises';
import { BundleError } from './errors.js';

export interface OnnxWeights {
  /** Elements of the initializers: the weights. */
  parameters: number;
  /** Elements of Constant-node tensors (folded shapes and scalars, or weights an exporter baked in). */
  constants: number;
  /** External data files the tensors name (paths relative to the model file), in first-seen order. */
  externalFiles: string[];
}

// Field numbers of onnx.proto3 that lead to tensors.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const NODE_ATTRIBUTE = 5;
const ATTRIBUTE_TENSOR = 5;
const ATTRIBUTE_GRAPH = 6;
const ATTRIBUTE_TENSORS = 10;
const ATTRIBUTE_GRAPHS = 11;
const TENSOR_DIMS = 1;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

interface Field {
  field: number;
  wire: number;
  /** Varint value (wire 0). */
  value: number;
  /** Payload bounds (wire 2). */
  start: number;
  end: number;
}

class Malformed extends Error {}

function readVarint(buf: Buffer, offset: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < buf.length && i < offset + 10; i++) {
    const byte = buf[i];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw new Malformed('truncated varint');
}

function* fields(buf: Buffer, start: number, end: number): Generator<Field> {
  let offset = start;
  while (offset < end) {
    const [key, afterKey] = readVarint(buf, offset);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value = 0;
    let payload = afterKey;
    switch (wire) {
      case WIRE_VARINT:
        [value, offset] = readVarint(buf, afterKey);
        break;
      case WIRE_FIXED64:
        offset = afterKey + 8;
        break;
      case WIRE_FIXED32:
        offset = afterKey + 4;
        break;
      case WIRE_BYTES: {
        let length: number;
        [length, payload] = readVarint(buf, afterKey);
        offset = payload + length;
        break;
      }
      default:
        throw new Malformed(`unsupported wire type ${wire}`);
    }
    if (offset > end) throw new Malformed('a field runs past its message');
    yield { field, wire, value, start: payload, end: offset };
  }
}

function countTensor(buf: Buffer, start: number, end: number, into: OnnxWeights, kind: 'parameters' | 'constants'): void {
  let elements = 1;
  for (const f of fields(buf, start, end)) {
    if (f.field === TENSOR_DIMS && f.wire === WIRE_VARINT) elements *= f.value;
    else if (f.field === TENSOR_DIMS && f.wire === WIRE_BYTES) {
      // Packed repeated int64.
      for (let offset = f.start; offset < f.end; ) {
        let dim: number;
        [dim, offset] = readVarint(buf, offset);
        elements *= dim;
      }
    } else if (f.field === TENSOR_EXTERNAL_DATA && f.wire === WIRE_BYTES) {
      let key = '';
      let value = '';
      for (const e of fields(buf, f.start, f.end)) {
        if (e.field === ENTRY_KEY) key = buf.toString('utf8', e.start, e.end);
        else if (e.field === ENTRY_VALUE) value = buf.toString('utf8', e.start, e.end);
      }
      if (key === 'location' && !into.externalFiles.includes(value)) into.externalFiles.push(value);
    }
  }
  into[kind] += elements;
}

function countGraph(buf: Buffer, start: number, end: number, into: OnnxWeights): void {
  for (const f of fields(buf, start, end)) {
    if (f.wire !== WIRE_BYTES) continue;
    if (f.field === GRAPH_INITIALIZER) countTensor(buf, f.start, f.end, into, 'parameters');
    else if (f.field === GRAPH_NODE) {
      for (const node of fields(buf, f.start, f.end)) {
        if (node.field !== NODE_ATTRIBUTE || node.wire !== WIRE_BYTES) continue;
        for (const a of fields(buf, node.start, node.end)) {
          if (a.wire !== WIRE_BYTES) continue;
          if (a.field === ATTRIBUTE_TENSOR || a.field === ATTRIBUTE_TENSORS) countTensor(buf, a.start, a.end, into, 'constants');
          else if (a.field === ATTRIBUTE_GRAPH || a.field === ATTRIBUTE_GRAPHS) countGraph(buf, a.start, a.end, into);
        }
      }
    }
  }
}

/** Counts the weights of the ONNX model in `file`. @throws BundleError BUNDLE_ONNX_INVALID */
export async function readOnnxWeights(file: string): Promise<OnnxWeights> {
  const buf = await readFile(file).catch((error: unknown) => {
    throw new BundleError('BUNDLE_FILE_MISSING', file, 'cannot read the model file', { cause: error });
  });
  const weights: OnnxWeights = { parameters: 0, constants: 0, externalFiles: [] };
  try {
    let graphs = 0;
    for (const f of fields(buf, 0, buf.length)) {
      if (f.field === MODEL_GRAPH && f.wire === WIRE_BYTES) {
        countGraph(buf, f.start, f.end, weights);
        graphs++;
      }
    }
    if (graphs === 0) throw new Malformed('no graph');
  } catch (error) {
    if (!(error instanceof Malformed)) throw error;
    throw new BundleError('BUNDLE_ONNX_INVALID', file, `not an ONNX model (${error.message})`, { cause: error });
  }
  return weights;
}
