/**
 * Scenario 1, the ceiling: frames/s of the bare inference path. InferenceEngine.infer on
 * synthetic frames at the model's input size, no ffmpeg, no server, with the pipeline's replay
 * setting of 2 batches in flight (the worker never waits for the next batch). After warm-up
 * batches, `rounds` timed rounds of `batchesPerRound` batches each; the result is the median
 * round's frames/s.
 */
import type { ModelConfig } from '../config/index.js';
import { silentLogger } from '../log/logger.js';
import type { InferenceEngine, StageTimings } from '../model/index.js';
import { openEngine } from '../runtime/engine.js';
import type { Frame } from '../stream/index.js';
import { OwnPeakRss } from './memory.js';
import { medianStages, type StageBreakdown } from './stages.js';
import { median, round } from './stats.js';
import { syntheticBatch } from './synthetic-frames.js';

export interface CeilingOptions {
  /** Bundle, providers, ensemble, threads; the editor runs at the bundle's own step count. */
  model: ModelConfig;
  /** Editor name from the manifest, or 'none' for the classifier alone. */
  editor: string;
  batch: number;
  /** Batches handed to the engine before the previous one returned; default 2, as in replay. */
  inFlight?: number;
  warmupBatches: number;
  rounds: number;
  batchesPerRound: number;
}

export interface CeilingResult {
  editor: string;
  editor_kind: string | null;
  /** UNet evaluations per frame as the engine reports them (0 without an editor). */
  steps: number;
  provider: string;
  batch: number;
  in_flight: number;
  /** Median of the rounds' frames/s. */
  fps: number;
  round_fps: number[];
  /** Milliseconds per batch, median over every timed batch. */
  stages_ms_per_batch: StageBreakdown;
  /** Peak RSS of the bench process (it hosts the inference worker) during this measurement. */
  peak_rss_mb: number;
}

/** Runs `count` batches through the engine keeping `inFlight` of them outstanding; reports each batch's timings. */
async function pushBatches(engine: InferenceEngine, batch: Frame[], count: number, inFlight: number, onTimings?: (t: StageTimings) => void): Promise<void> {
  let remaining = count;
  const lane = async () => {
    while (remaining > 0) {
      remaining -= 1;
      const results = await engine.infer(batch);
      onTimings?.(results[0].timings);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, lane));
}

export async function measureCeiling(options: CeilingOptions): Promise<CeilingResult> {
  const inFlight = options.inFlight ?? 2;
  const memory = new OwnPeakRss();
  // Gate off: the ceiling is the cost of editing every frame, whatever the synthetic frames look like.
  const engine = await openEngine({ ...options.model, editor: options.editor, steps: undefined, gate: 'off' }, silentLogger);
  try {
    const batch = syntheticBatch(options.batch, engine.info.inputSize);
    await pushBatches(engine, batch, options.warmupBatches, inFlight);

    const timings: StageTimings[] = [];
    const roundFps: number[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const started = performance.now();
      await pushBatches(engine, batch, options.batchesPerRound, inFlight, (t) => timings.push(t));
      const seconds = (performance.now() - started) / 1000;
      roundFps.push((options.batchesPerRound * options.batch) / seconds);
    }
    return {
      editor: engine.info.editor,
      editor_kind: engine.info.editorKind,
      steps: engine.info.steps,
      provider: engine.info.provider,
      batch: options.batch,
      in_flight: inFlight,
      fps: round(median(roundFps), 1),
      round_fps: roundFps.map((fps) => round(fps, 1)),
      stages_ms_per_batch: medianStages(timings),
      peak_rss_mb: memory.stop(),
    };
  } finally {
    memory.stop();
    await engine.close();
  }
}
