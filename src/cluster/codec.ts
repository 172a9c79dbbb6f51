/**
 * What travels on the broker: a frame (ingest -> worker) and a result (worker -> gateway, run).
 * One message each, like the /ws frame message: [u32 big-endian n][n bytes UTF-8 JSON header][JPEGs].
 * Frames travel as JPEG at the display size (tens of KB; raw rgb24 would not fit NATS's 1 MB
 * default comfortably). A result carries the ingest's JPEG on unchanged (gateways never re-encode
 * it) and the edited image as a JPEG of its own; the pixels themselves stay on the worker, so a
 * decoded result's `frame.data` is empty.
 *
 * A result also carries the frame's 16x16 grey thumbnail (256 bytes, base64): what label smoothing
 * needs to see a scene cut where the results meet (the gateway), without the frame's pixels.
 *
 * Times cross machines as epoch milliseconds (`capturedAt`); inside a process a Frame keeps
 * performance.now() time, so both ends convert through performance.timeOrigin (latency across
 * machines is then as good as their clocks: run NTP).
 */
import { z } from 'zod';
import type { FrameInference } from '../model/types.js';
import type { EncodedImage } from '../server/protocol.js';
import type { Frame, FrameMeta } from '../stream/frame.js';

export const WIRE_VERSION = 1;

/** Where a frame came from: the ingest instance and, for replayed frames, the replay job. */
export interface FrameOrigin {
  /** Ingest instance (or `run` process) id: a new one means the stream's seq restarted. */
  ingest: string;
  /** Replay job id; absent for live frames. */
  job?: string;
}

export class BrokerMessageError extends Error {
  readonly code = 'BROKER_MESSAGE_INVALID';
  constructor(what: string, detail: string) {
    super(`${what}: ${detail}`);
    this.name = 'BrokerMessageError';
  }
}

const metaSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const frameHeaderSchema = z.object({
  v: z.literal(WIRE_VERSION),
  streamId: z.string().min(1),
  seq: z.int().min(0),
  ptsMs: z.number(),
  capturedAt: z.number(),
  width: z.int().positive(),
  height: z.int().positive(),
  discontinuity: z.boolean(),
  meta: metaSchema.optional(),
  ingest: z.string().min(1),
  job: z.string().min(1).optional(),
  jpegBytes: z.int().min(1),
});

const scoreSchema = z.object({ label: z.string(), index: z.int(), probability: z.number() });
const predictionSchema = z.object({ label: z.string(), index: z.int(), confidence: z.number(), topk: z.array(scoreSchema) });

const resultHeaderSchema = frameHeaderSchema.extend({
  worker: z.string().min(1),
  // Loose: fields a newer worker adds to FrameInference (smoothing...) pass through.
  inference: z.looseObject({
    source: predictionSchema,
    edited: predictionSchema.nullable(),
    ensemble: predictionSchema,
    timings: z.record(z.string(), z.number()),
    distribution: z.array(z.number()).optional(),
    // Absent from workers older than the corruption gate.
    gate: z.object({ score: z.number().nullable(), active: z.boolean() }).nullable().optional(),
  }),
  edited: z.object({ jpegBytes: z.int().min(1), width: z.int().positive(), height: z.int().positive() }).nullable(),
  /** The grey thumbnail, one byte a value (the [0, 1] values times 255), base64. */
  thumbnail: z.base64().optional(),
});

type FrameHeader = z.infer<typeof frameHeaderSchema>;

export interface DecodedFrame {
  /** The frame without its pixels (`data` is empty): decode `jpeg` to get them. */
  frame: Frame;
  jpeg: Uint8Array;
  origin: FrameOrigin;
}

export interface DecodedResult {
  /** `data` is empty: the pixels stay on the worker (see `images`). */
  frame: Frame;
  /** `editedImage` is null: the edit is in `images.edited`. */
  inference: FrameInference;
  images: { source: EncodedImage; edited: EncodedImage | null };
  origin: FrameOrigin & { worker: string };
  /** The frame's grey thumbnail as the worker took it (values in [0, 1], to 1/255). */
  thumbnail?: Float32Array;
}

const NO_PIXELS = new Uint8Array(0);

export function encodeFrame(frame: Frame, jpeg: Uint8Array, origin: FrameOrigin): Uint8Array {
  return envelope(frameHeader(frame, jpeg, origin), [jpeg]);
}

export function decodeFrame(message: Uint8Array): DecodedFrame {
  const { header, body } = openEnvelope(message, 'frame message');
  const parsed = parseWith(frameHeaderSchema, header, 'frame message');
  const jpeg = slice(body, 0, parsed.jpegBytes, 'frame message');
  return { frame: frameFromHeader(parsed), jpeg, origin: originOf(parsed) };
}

/**
 * A result: the frame's header as it came from the ingest, the worker's predictions and timings,
 * the ingest's JPEG and the edited image's JPEG.
 */
export function encodeResult(
  frame: Frame,
  origin: FrameOrigin,
  worker: string,
  inference: FrameInference,
  images: { source: Uint8Array; edited: EncodedImage | null },
  thumbnail?: Float32Array,
): Uint8Array {
  const { editedImage: _pixels, distribution, ...predictions } = inference;
  const header = {
    ...frameHeader(frame, images.source, origin),
    worker,
    inference: { ...predictions, distribution: Array.from(distribution ?? []) },
    edited: images.edited === null ? null : { jpegBytes: images.edited.data.byteLength, width: images.edited.width, height: images.edited.height },
    ...(thumbnail === undefined ? {} : { thumbnail: Buffer.from(Uint8Array.from(thumbnail, (v) => Math.round(v * 255))).toString('base64') }),
  };
  return envelope(header, images.edited === null ? [images.source] : [images.source, images.edited.data]);
}

export function decodeResult(message: Uint8Array): DecodedResult {
  const { header, body } = openEnvelope(message, 'result message');
  const parsed = parseWith(resultHeaderSchema, header, 'result message');
  const source = slice(body, 0, parsed.jpegBytes, 'result message');
  const edited = parsed.edited === null ? null : slice(body, parsed.jpegBytes, parsed.edited.jpegBytes, 'result message');
  const { distribution, ...predictions } = parsed.inference;
  const inference = { ...predictions, gate: predictions.gate ?? null, distribution: Float32Array.from(distribution ?? []), editedImage: null } as unknown as FrameInference;
  return {
    frame: frameFromHeader(parsed),
    inference,
    images: {
      source: { data: source, width: parsed.width, height: parsed.height },
      edited: edited === null || parsed.edited === null ? null : { data: edited, width: parsed.edited.width, height: parsed.edited.height },
    },
    origin: { ...originOf(parsed), worker: parsed.worker },
    ...(parsed.thumbnail === undefined ? {} : { thumbnail: Float32Array.from(Buffer.from(parsed.thumbnail, 'base64'), (v) => v / 255) }),
  };
}

function frameHeader(frame: Frame, jpeg: Uint8Array, origin: FrameOrigin): FrameHeader {
  return {
    v: WIRE_VERSION,
    streamId: frame.streamId,
    seq: frame.seq,
    ptsMs: frame.ptsMs,
    capturedAt: performance.timeOrigin + frame.capturedAt,
    width: frame.width,
    height: frame.height,
    discontinuity: frame.discontinuity,
    ...(frame.meta === undefined ? {} : { meta: withoutUndefined(frame.meta) }),
    ingest: origin.ingest,
    ...(origin.job === undefined ? {} : { job: origin.job }),
    jpegBytes: jpeg.byteLength,
  };
}

function frameFromHeader(header: FrameHeader): Frame {
  return {
    streamId: header.streamId,
    seq: header.seq,
    ptsMs: header.ptsMs,
    capturedAt: header.capturedAt - performance.timeOrigin,
    width: header.width,
    height: header.height,
    data: NO_PIXELS,
    discontinuity: header.discontinuity,
    ...(header.meta === undefined ? {} : { meta: header.meta as FrameMeta }),
  };
}

function originOf(header: FrameHeader): FrameOrigin {
  return header.job === undefined ? { ingest: header.ingest } : { ingest: header.ingest, job: header.job };
}

function withoutUndefined(meta: FrameMeta): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(meta).filter(([, value]) => value !== undefined)) as Record<string, string | number | boolean>;
}

function envelope(header: unknown, parts: readonly Uint8Array[]): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(json.byteLength, 0);
  return Buffer.concat([prefix, json, ...parts]);
}

function openEnvelope(message: Uint8Array, what: string): { header: unknown; body: Uint8Array } {
  if (message.byteLength < 4) throw new BrokerMessageError(what, `${message.byteLength} bytes, shorter than its length prefix`);
  const length = new DataView(message.buffer, message.byteOffset, 4).getUint32(0);
  if (4 + length > message.byteLength) throw new BrokerMessageError(what, `header of ${length} bytes runs past the message (${message.byteLength} bytes)`);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(message.buffer, message.byteOffset + 4, length).toString('utf8'));
  } catch {
    throw new BrokerMessageError(what, 'header is not valid JSON');
  }
  return { header, body: message.subarray(4 + length) };
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new BrokerMessageError(what, `${issue.path.join('.') || 'header'}: ${issue.message}`);
}

function slice(body: Uint8Array, offset: number, length: number, what: string): Uint8Array {
  if (offset + length > body.byteLength) throw new BrokerMessageError(what, `image of ${length} bytes at ${offset} runs past the message body (${body.byteLength} bytes)`);
  return body.subarray(offset, offset + length);
}
