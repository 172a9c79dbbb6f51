/**
 * Turns one processed frame into its wire message: both images JPEG-encoded once, the header
 * stamped with the send time. Times leave the server as epoch milliseconds; `capturedAt` is
 * performance.now() of this process, so it is converted through performance.timeOrigin.
 */
import { reportedPrediction } from '../model/ensemble.js';
import type { FrameInference, GateResult } from '../model/types.js';
import type { Frame } from '../stream/frame.js';
import { encodeJpeg } from './jpeg.js';
import { encodeFrameMessage, type EncodedImage, type FrameHeader, trimTopK } from './protocol.js';

export interface FrameMessageOptions {
  jpegQuality: number;
  topK: number;
}

/** The edit is tiny (e.g. 32x32) and shown enlarged: spend the few extra bytes on fidelity. */
const MIN_EDITED_QUALITY = 92;

export interface FrameMessage {
  payload: Buffer;
  latencyMs: number;
}

/** JPEG quality of the edited image for a configured quality. */
export const editedJpegQuality = (quality: number) => Math.max(quality, MIN_EDITED_QUALITY);

/** The frame's JPEGs, when they arrive already encoded (a gateway fed by the broker): not encoded again. */
export interface FrameImages {
  source: EncodedImage;
  edited: EncodedImage | null;
}

export async function buildFrameMessage(frame: Frame, inference: FrameInference, options: FrameMessageOptions, images?: FrameImages): Promise<FrameMessage> {
  const [source, edited] = images
    ? [images.source, images.edited]
    : await Promise.all([
        encodeJpeg(frame, options.jpegQuality),
        inference.editedImage === null ? null : encodeJpeg(inference.editedImage, editedJpegQuality(options.jpegQuality)),
      ]);
  const now = performance.now();
  const latencyMs = Math.max(0, now - frame.capturedAt);
  const header: Omit<FrameHeader, 'images'> = {
    type: 'frame',
    streamId: frame.streamId,
    seq: frame.seq,
    ptsMs: frame.ptsMs,
    capturedAt: Math.round(performance.timeOrigin + frame.capturedAt),
    sentAt: Math.round(performance.timeOrigin + now),
    latencyMs: Math.round(latencyMs * 10) / 10,
    discontinuity: frame.discontinuity,
    ...(frame.meta?.truth === undefined ? {} : { truth: frame.meta.truth }),
    ...(frame.meta?.corruption === undefined ? {} : { corruption: frame.meta.corruption }),
    source: trimTopK(inference.source, options.topK),
    edited: inference.edited === null ? null : trimTopK(inference.edited, options.topK),
    ensemble: trimTopK(inference.ensemble, options.topK),
    smoothed: inference.smoothed ? trimTopK(inference.smoothed, options.topK) : null,
    gate: inference.gate ? roundGate(inference.gate) : null,
    changed: reportedPrediction(inference).label !== inference.source.label,
    ...(inference.reused ? { reused: true as const, resultAgeMs: Math.round(inference.resultAgeMs ?? 0) } : {}),
    timings: inference.timings,
  };
  return { payload: encodeFrameMessage(header, source, edited), latencyMs };
}

/** Scores to three decimals: the wire needs no more. */
function roundGate(gate: GateResult): GateResult {
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { ...gate, score: gate.score === null ? null : round(gate.score), ...(gate.level === undefined ? {} : { level: round(gate.level) }) };
}
