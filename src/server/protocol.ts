/**
 * The WebSocket protocol (docs/protocol.md is the reader's version).
 * - Text messages are JSON control messages, both ways.
 * - Binary messages go server -> client only, one per frame:
 *     [u32 big-endian n][n bytes UTF-8 JSON FrameHeader][image bytes...]
 *   `header.images.*.offset` counts from the first byte after the JSON. One self-contained message
 *   per frame means a skipped frame is skipped whole, and a browser decodes it with a DataView.
 */
import { z } from 'zod';
import { overlongMessage, overlongRegionIds, regionListSchema, type Region } from '../config/regions.js';
import type { ClassScore, GateResult, Prediction, StageTimings } from '../model/types.js';
import type { StreamState } from './types.js';

export const PROTOCOL_VERSION = 1;

// ---- client -> server ---------------------------------------------------------------------------

const streamIdSchema = z.string().min(1).max(64);

/** Unknown extra fields are ignored (newer clients may send more); wrong types are not. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('subscribe'), streams: z.union([z.literal('*'), z.array(streamIdSchema).max(256)]) }),
  z.object({ type: z.literal('pause'), paused: z.boolean() }),
  z.object({ type: z.literal('ping'), id: z.union([z.string().max(128), z.number()]).optional() }),
  z.object({ type: z.literal('set-corruption'), streamId: streamIdSchema, corruption: z.string().min(1).max(200).nullable() }),
  // The config's rules for sources[].regions; the whole list replaces the stream's regions ([]: none).
  z.object({ type: z.literal('set-regions'), streamId: streamIdSchema, regions: regionListSchema }).superRefine((m, ctx) => {
    for (const i of overlongRegionIds(m.streamId, m.regions)) ctx.addIssue({ code: 'custom', path: ['regions', i, 'id'], message: overlongMessage(m.streamId, m.regions[i]!.id) });
  }),
]);

export type ClientMessage = z.infer<typeof clientMessageSchema>;
export const CLIENT_MESSAGE_TYPES: readonly ClientMessage['type'][] = ['subscribe', 'pause', 'ping', 'set-corruption', 'set-regions'];

/** Stable codes of `error` messages; clients and tests match on these, not on the text. */
export type ClientErrorCode =
  | 'BAD_JSON'
  | 'BAD_MESSAGE'
  | 'UNKNOWN_TYPE'
  | 'UNEXPECTED_BINARY'
  | 'RATE_LIMITED'
  | 'UNKNOWN_STREAM'
  | 'UNSUPPORTED'
  | 'REJECTED';

/** Longest `type` echoed back in an error's `for`: a reply never reflects a large input. */
export const MAX_ECHOED_TYPE_LENGTH = 64;
/** Schema problems listed in a BAD_MESSAGE reply; the rest are counted, not listed. */
const MAX_LISTED_ISSUES = 3;
const MAX_ERROR_MESSAGE_LENGTH = 300;

export type ParsedClientMessage =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ClientErrorCode; message: string; type?: string };

export function parseClientMessage(data: Buffer, isBinary: boolean): ParsedClientMessage {
  if (isBinary) return { ok: false, code: 'UNEXPECTED_BINARY', message: 'clients send JSON text messages only' };
  let json: unknown;
  try {
    json = JSON.parse(data.toString('utf8'));
  } catch {
    return { ok: false, code: 'BAD_JSON', message: 'message is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as { type?: unknown }).type !== 'string') {
    return { ok: false, code: 'BAD_MESSAGE', message: 'expected a JSON object with a string "type"' };
  }
  const type = (json as { type: string }).type.slice(0, MAX_ECHOED_TYPE_LENGTH);
  if (!(CLIENT_MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { ok: false, code: 'UNKNOWN_TYPE', message: `unknown message type "${type.slice(0, 40)}"`, type };
  }
  const result = clientMessageSchema.safeParse(json);
  if (!result.success) return { ok: false, code: 'BAD_MESSAGE', message: describeIssues(result.error.issues), type };
  return { ok: true, message: result.data };
}

/** A short account of what is wrong: a message with thousands of bad fields gets a short reply. */
function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `${i.path.join('.').slice(0, 80) || 'message'}: ${i.message}`);
  const more = issues.length - listed.length;
  const text = listed.join('; ') + (more > 0 ? ` (and ${more} more)` : '');
  return text.length > MAX_ERROR_MESSAGE_LENGTH ? `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 3)}...` : text;
}

// ---- server -> client: JSON ---------------------------------------------------------------------

export interface StreamSummary {
  id: string;
  url: string | null;
  state: StreamState;
  /** Stable code of the problem when `state` is `error` (e.g. SOURCE_UNREADABLE). */
  code?: string;
  message?: string;
  attempt?: number;
  /**
   * The stream's synthetic corruption setting ('fog:4', 'cycle:4'; null: clean): as configured,
   * then as last changed by a `set-corruption`. Absent when the server cannot say it as one spec
   * (a stream it was not told about, a configured list of several specs) and from older servers.
   */
  corruption?: string | null;
  /**
   * The stream's regions of interest, each a stream `<id>.<region id>` of its own: as configured,
   * then as last set by `set-regions`. Absent where the stream takes none (a replayed file, a
   * region's stream) and from older servers.
   */
  regions?: Region[];
  /** On a region's stream: the stream it is cut from, and the region's id. */
  parent?: string;
  region?: string;
}

export interface HelloMessage {
  type: 'hello';
  protocol: number;
  version: string;
  labels: string[];
  model: Record<string, unknown>;
  streams: StreamSummary[];
  /** This connection's subscription: new clients get every stream. */
  subscribed: '*' | string[];
  corruptions: string[];
  /** setRegions: absent from older servers. */
  controls: { setCorruption: boolean; setRegions?: boolean };
  limits: { maxPayloadBytes: number; messagesPerSecond: number; burst: number };
}

export interface StateMessage {
  type: 'state';
  streamId: string;
  state: StreamState;
  /** Stable code of the problem when `state` is `error` (e.g. SOURCE_UNREADABLE). */
  code?: string;
  message?: string;
  attempt?: number;
  /** Epoch milliseconds. */
  at: number;
}

export interface StreamStatsSummary {
  id: string;
  state: StreamState;
  /** Frames published per second over the last few seconds. */
  fps: number;
  /** 95th percentile capture-to-send latency of recent frames, ms; null before the first frame. */
  p95LatencyMs: number | null;
  /** Frames the pipeline dropped (live sources keep only the newest). */
  dropped: number;
  /** Times the stream's reported label changed during the last minute. */
  labelChangesPerMinute: number;
}

export interface StatsMessage {
  type: 'stats';
  at: number;
  clients: number;
  streams: StreamStatsSummary[];
  /** Frames this connection skipped because it could not keep up. */
  skipped: number;
}

export interface ErrorMessage {
  type: 'error';
  code: ClientErrorCode;
  message: string;
  /** Type of the message that caused it, when known. */
  for?: string;
}

export type ServerMessage =
  | HelloMessage
  | StateMessage
  | StatsMessage
  | ErrorMessage
  | { type: 'pong'; id?: string | number; at: number }
  | { type: 'subscribed'; streams: '*' | string[] }
  | { type: 'paused'; paused: boolean }
  | { type: 'corruption'; streamId: string; corruption: string | null }
  | { type: 'regions'; streamId: string; regions: Region[] };

// ---- server -> client: binary frames ------------------------------------------------------------

export interface ImageRef {
  /** Byte offset from the end of the JSON header. */
  offset: number;
  length: number;
  width: number;
  height: number;
  mime: 'image/jpeg';
}

export interface FrameHeader {
  type: 'frame';
  streamId: string;
  seq: number;
  ptsMs: number;
  /** Epoch ms when the frame was read from the source. */
  capturedAt: number;
  /** Epoch ms when the server handed the frame to the sockets. */
  sentAt: number;
  latencyMs: number;
  discontinuity: boolean;
  truth?: string;
  corruption?: string;
  /** Classifier on the original frame. */
  source: Prediction;
  /** Classifier on the edited frame; null when the editor is off or the corruption gate skipped it. */
  edited: Prediction | null;
  /**
   * The corruption gate: this frame's score (0..1) and whether the editor ran on it (`active`); in
   * serve and run also the stream's smoothed score (`level`) and whether its next frames are edited
   * (`streamActive`; null: each frame decides, as after a discontinuity). Null when the bundle has
   * no gate (the editor runs on every frame); absent from older servers.
   */
  gate?: GateResult | null;
  /** This frame's own adapted prediction (the ensemble of source and edited). */
  ensemble: Prediction;
  /**
   * The stream's smoothed prediction, what the pipeline answers when smoothing is on (its label
   * changes only when a new class leads by a margin); null when smoothing is off.
   */
  smoothed: Prediction | null;
  /** True when the answered label (smoothed, else ensemble) differs from the source-only label. */
  changed: boolean;
  /** Motion gating: this frame was not inferred and carries the result of an earlier frame, `resultAgeMs` old. */
  reused?: true;
  resultAgeMs?: number;
  timings: StageTimings;
  images: { source: ImageRef; edited: ImageRef | null };
}

export interface EncodedImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export function encodeFrameMessage(header: Omit<FrameHeader, 'images'>, source: EncodedImage, edited: EncodedImage | null): Buffer {
  const ref = (image: EncodedImage, offset: number): ImageRef => ({
    offset,
    length: image.data.byteLength,
    width: image.width,
    height: image.height,
    mime: 'image/jpeg',
  });
  const images = { source: ref(source, 0), edited: edited === null ? null : ref(edited, source.data.byteLength) };
  const json = Buffer.from(JSON.stringify({ ...header, images }), 'utf8');
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(json.byteLength, 0);
  const parts: Uint8Array[] = [prefix, json, source.data];
  if (edited !== null) parts.push(edited.data);
  return Buffer.concat(parts);
}

export interface DecodedFrameMessage {
  header: FrameHeader;
  source: Uint8Array;
  edited: Uint8Array | null;
}

/** The inverse of encodeFrameMessage, for Node clients and tests (the dashboard has its own copy). */
export function decodeFrameMessage(message: Uint8Array): DecodedFrameMessage {
  if (message.byteLength < 4) throw new RangeError('frame message shorter than its length prefix');
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const headerLength = view.getUint32(0);
  const payloadStart = 4 + headerLength;
  if (payloadStart > message.byteLength) throw new RangeError('frame header runs past the message');
  const header = JSON.parse(Buffer.from(message.buffer, message.byteOffset + 4, headerLength).toString('utf8')) as FrameHeader;
  const slice = (ref: ImageRef): Uint8Array => {
    const start = payloadStart + ref.offset;
    if (start + ref.length > message.byteLength) throw new RangeError('frame image runs past the message');
    return message.subarray(start, start + ref.length);
  };
  return { header, source: slice(header.images.source), edited: header.images.edited ? slice(header.images.edited) : null };
}

/** Keeps the k best classes of a prediction (the wire needs no more than the config asks for). */
export function trimTopK(prediction: Prediction, k: number): Prediction {
  if (prediction.topk.length <= k) return prediction;
  const topk: ClassScore[] = prediction.topk.slice(0, k);
  return { ...prediction, topk };
}
