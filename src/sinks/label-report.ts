/**
 * What the MQTT label topic and a webhook's label-change post say about a processed frame: the
 * adapted label (the ensemble's, or the stream's smoothed one when the flow smooths), the
 * source-only one, the edited one, the corruption the frame is known to carry (test feeds set
 * frame.meta.corruption), the top-k, and when it was captured.
 */
import { reportedPrediction, type FrameInference } from '../model/index.js';
import type { Frame } from '../stream/index.js';
import { brief, briefTopk, roundTo } from './jsonl-sink.js';

export interface LabelReport {
  stream: string;
  seq: number;
  /** Capture time, ISO 8601. */
  at: string;
  label: string;
  confidence: number;
  source: { label: string; confidence: number };
  /** Null when the editor is off. */
  edited: { label: string; confidence: number } | null;
  corruption: string | null;
  topk: Array<{ label: string; p: number }>;
}

/** Wall-clock ISO time of a performance.now() reading (frames carry those). */
export const isoFromPerformance = (ms: number) => new Date(performance.timeOrigin + ms).toISOString();

export function labelReport(frame: Frame, inference: FrameInference): LabelReport {
  const { source, edited } = inference;
  const adapted = reportedPrediction(inference);
  return {
    stream: frame.streamId,
    seq: frame.seq,
    at: isoFromPerformance(frame.capturedAt),
    label: adapted.label,
    confidence: roundTo(adapted.confidence),
    source: brief(source)!,
    edited: brief(edited),
    corruption: frame.meta?.corruption ?? null,
    topk: briefTopk(adapted),
  };
}
