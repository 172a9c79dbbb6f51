/** Writes one JSON line per processed frame to a file (or stdout): `run`'s output, or a log of `serve`. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { reportedPrediction, type FrameInference, type GateResult, type Prediction } from '../model/index.js';
import type { Frame } from '../stream/index.js';
import type { FrameSink } from './types.js';

/** A prediction as the outputs show it: its label and rounded confidence. */
export const brief = (p: Prediction | null) => (p ? { label: p.label, confidence: roundTo(p.confidence) } : null);
/** JSONL numbers are rounded so that lines stay short and diff cleanly. */
export const roundTo = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export const briefTopk = (p: Prediction) => p.topk.map((c) => ({ label: c.label, p: roundTo(c.probability) }));

const briefGate = ({ score, active, level, streamActive }: GateResult) => ({
  score: score === null ? null : roundTo(score, 3),
  active,
  ...(level === undefined ? {} : { level: roundTo(level, 3) }),
  ...(streamActive === undefined ? {} : { streamActive }),
});

export function frameRecord(frame: Frame, inference: FrameInference): Record<string, unknown> {
  const { ensemble, source, edited, timings } = inference;
  const reported = reportedPrediction(inference);
  return {
    streamId: frame.streamId,
    seq: frame.seq,
    ptsMs: roundTo(frame.ptsMs, 3),
    label: reported.label,
    confidence: roundTo(reported.confidence),
    source: brief(source),
    edited: brief(edited),
    topk: briefTopk(reported),
    // With smoothing on, `label` is the stream's smoothed label and `raw` this frame's own ensemble.
    ...(inference.smoothed ? { raw: brief(ensemble) } : {}),
    // The corruption gate: this frame's score, whether the editor ran, and the stream's smoothed level.
    ...(inference.gate ? { gate: briefGate(inference.gate) } : {}),
    // Motion gating: not inferred; the result of an earlier frame, this old.
    ...(inference.reused ? { reused: true, resultAgeMs: roundTo(inference.resultAgeMs ?? 0, 1) } : {}),
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, roundTo(v, 3)])),
    ...(frame.discontinuity ? { discontinuity: true } : {}),
    ...(frame.meta?.truth !== undefined ? { truth: frame.meta.truth } : {}),
    ...(frame.meta?.corruption !== undefined ? { corruption: frame.meta.corruption } : {}),
  };
}

export class JsonlSink implements FrameSink {
  readonly name = 'jsonl';
  readonly #out: WriteStream | NodeJS.WriteStream;
  readonly #ownsStream: boolean;

  private constructor(path: string) {
    this.#ownsStream = path !== '-';
    this.#out = this.#ownsStream ? createWriteStream(path) : process.stdout;
  }

  /**
   * `path` '-' writes to stdout.
   * @throws when the file cannot be opened (bad directory, permissions), before any frame is run.
   */
  static async open(path: string): Promise<JsonlSink> {
    const sink = new JsonlSink(path);
    if (sink.#ownsStream) await once(sink.#out as WriteStream, 'open');
    return sink;
  }

  frame(frame: Frame, inference: FrameInference): void {
    this.#out.write(`${JSON.stringify(frameRecord(frame, inference))}\n`);
  }

  /** Flushes and closes the file (stdout is left open). */
  async close(): Promise<void> {
    if (!this.#ownsStream) return;
    const out = this.#out as WriteStream;
    out.end();
    await once(out, 'finish');
  }
}
