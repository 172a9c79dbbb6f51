/** Collects what `run` reports at the end: frames, speed, labels, accuracy when frames carry truth. */
import { reportedPrediction, type FrameInference } from '../model/index.js';
import type { Frame } from '../stream/index.js';
import { roundTo } from './jsonl-sink.js';
import type { FrameSink } from './types.js';

export interface RunSummary {
  frames: number;
  seconds: number;
  fps: number;
  labels: Record<string, number>;
  /** Frames whose adapted label differs from the source-only label. */
  changedByEditor: number;
  /** Times the reported label changed from one frame to the next (smoothing holds it still). */
  labelChanges: number;
  /** labelChanges per minute of footage (stream time, ptsMs); null for less than a second of it. */
  labelChangesPerMinute: number | null;
  /** Accuracy against ground truth, when frames carry it. */
  accuracy?: { source: number; ensemble: number; n: number };
  meanStageMs: Record<string, number>;
}

export class RunSummarySink implements FrameSink {
  readonly name = 'summary';
  readonly #startedAt = performance.now();
  readonly #labels: Record<string, number> = {};
  readonly #stageTotals: Record<string, number> = {};
  #frames = 0;
  #changed = 0;
  #labelChanges = 0;
  #firstPtsMs: number | undefined;
  #lastPtsMs = 0;
  #truthN = 0;
  #truthSource = 0;
  #truthEnsemble = 0;

  frame(frame: Frame, inference: FrameInference): void {
    this.#frames += 1;
    this.#firstPtsMs ??= frame.ptsMs;
    this.#lastPtsMs = frame.ptsMs;
    if (inference.labelChanged) this.#labelChanges += 1;
    const label = reportedPrediction(inference).label;
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
    const footageMs = this.#lastPtsMs - (this.#firstPtsMs ?? 0);
    return {
      frames: this.#frames,
      seconds: roundTo(seconds, 2),
      fps: roundTo(this.#frames / Math.max(seconds, 1e-9), 1),
      labels: this.#labels,
      changedByEditor: this.#changed,
      labelChanges: this.#labelChanges,
      labelChangesPerMinute: footageMs >= 1000 ? roundTo((this.#labelChanges * 60_000) / footageMs, 2) : null,
      ...(this.#truthN > 0
        ? { accuracy: { source: roundTo(this.#truthSource / this.#truthN), ensemble: roundTo(this.#truthEnsemble / this.#truthN), n: this.#truthN } }
        : {}),
      meanStageMs: Object.fromEntries(Object.entries(this.#stageTotals).map(([k, v]) => [k, roundTo(v / n, 3)])),
    };
  }
}
