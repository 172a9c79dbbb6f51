/** Writes one JSON line per processed frame to a file (or stdout) and keeps the run's summary. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { FrameInference, Prediction } from '../model/index.js';
import type { Frame } from '../stream/index.js';

export interface RunSummary {
  frames: number;
  seconds: number;
  fps: number;
  labels: Record<string, number>;
  /** Frames whose adapted label differs from the source-only label. */
  changedByEditor: number;
  /** Accuracy against ground truth, when frames carry it. */
  accuracy?: { source: number; ensemble: number; n: number };
  meanStageMs: Record<string, number>;
}

const brief = (p: Prediction | null) => (p ? { label: p.label, confidence: round(p.confidence) } : null);
const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

export function frameRecord(frame: Frame, inference: FrameInference): Record<string, unknown> {
  const { ensemble, source, edited, timings } = inference;
  return {
    streamId: frame.streamId,
    seq: frame.seq,
    ptsMs: round(frame.ptsMs, 3),
    label: ensemble.label,
    confidence: round(ensemble.confidence),
    source: brief(source),
    edited: brief(edited),
    topk: ensemble.topk.map((c) => ({ label: c.label, p: round(c.probability) })),
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round(v, 3)])),
    ...(frame.discontinuity ? { discontinuity: true } : {}),
    ...(frame.meta?.truth !== undefined ? { truth: frame.meta.truth } : {}),
    ...(frame.meta?.corruption !== undefined ? { corruption: frame.meta.corruption } : {}),
  };
}

export class JsonlWriter {
  readonly #out: WriteStream | NodeJS.WriteStream;
  readonly #ownsStream: boolean;
  readonly #startedAt = performance.now();
  readonly #labels: Record<string, number> = {};
  readonly #stageTotals: Record<string, number> = {};
  #frames = 0;
  #changed = 0;
  #truthN = 0;
  #truthSource = 0;
  #truthEnsemble = 0;

  /** `path` '-' writes to stdout. */
  constructor(path: string) {
    this.#ownsStream = path !== '-';
    this.#out = this.#ownsStream ? createWriteStream(path) : process.stdout;
  }

  /** Rejects when the file cannot be opened (bad directory, permissions). */
  async ready(): Promise<void> {
    if (this.#ownsStream) await once(this.#out as WriteStream, 'open');
  }

  write(frame: Frame, inference: FrameInference): void {
    this.#out.write(`${JSON.stringify(frameRecord(frame, inference))}\n`);
    this.#frames += 1;
    const label = inference.ensemble.label;
    this.#labels[label] = (this.#labels[label] ?? 0) + 1;
    if (label !== inference.source.label) this.#changed += 1;
    for (const [stage, ms] of Object.entries(inference.timings)) {
      if (stage !== 'batchSize') this.#stageTotals[stage] = (this.#stageTotals[stage] ?? 0) + ms;
    }
    const truth = frame.meta?.truth;
    if (truth !== undefined) {
      this.#truthN += 1;
      if (inference.source.label === truth) this.#truthSource += 1;
      if (label === truth) this.#truthEnsemble += 1;
    }
  }

  get frames(): number {
    return this.#frames;
  }

  summary(): RunSummary {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const n = Math.max(1, this.#frames);
    return {
      frames: this.#frames,
      seconds: round(seconds, 2),
      fps: round(this.#frames / Math.max(seconds, 1e-9), 1),
      labels: this.#labels,
      changedByEditor: this.#changed,
      ...(this.#truthN > 0
        ? { accuracy: { source: round(this.#truthSource / this.#truthN), ensemble: round(this.#truthEnsemble / this.#truthN), n: this.#truthN } }
        : {}),
      meanStageMs: Object.fromEntries(Object.entries(this.#stageTotals).map(([k, v]) => [k, round(v / n, 3)])),
    };
  }

  /** Flushes and closes the file (stdout is left open). */
  async close(): Promise<void> {
    if (!this.#ownsStream) return;
    const out = this.#out as WriteStream;
    out.end();
    await once(out, 'finish');
  }
}
