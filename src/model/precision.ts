/**
 * Which precision each model runs at. 'fp32' always; 'int8' the bundle's int8 variant of a model
 * where it has one; 'auto' the int8 variant only where the CPU has int8 dot-product instructions
 * and a start-up check measured it faster than fp32 on this machine, model by model.
 */
import { int8DotInstructions } from './cpu-features.js';
import type { OnnxModel } from './onnx-model.js';
import { medianRunMs, probeInputs } from './run-probe.js';

export const PRECISIONS = ['fp32', 'int8', 'auto'] as const;
export type Precision = (typeof PRECISIONS)[number];
export type ModelPrecision = 'fp32' | 'int8';

/** int8 must take at most this share of fp32's time for 'auto' to choose it (noise is not a speed-up). */
const AUTO_MAX_TIME_RATIO = 0.9;
const PROBE_WARMUP_RUNS = 2;
const PROBE_RUNS = 5;

export interface PrecisionChoice {
  model: OnnxModel;
  precision: ModelPrecision;
  /** Why, for the log: the start-up measurement or the missing instructions. */
  reason: string;
}

/** Median milliseconds of one run of `model` at `batch`. */
function timeRuns(model: OnnxModel, batch: number): Promise<number> {
  const inputs = probeInputs(model, batch);
  const output = model.outputNames[0];
  return medianRunMs(() => model.run(inputs, output, batch), PROBE_RUNS, PROBE_WARMUP_RUNS);
}

export interface ChooseOptions {
  precision: Precision;
  /** The int8 file, or undefined when the bundle has none for this model. */
  int8File: string | undefined;
  open: (file: string) => Promise<OnnxModel>;
  /** Batch of the start-up check. */
  probeBatch: number;
  /** Overrides the CPU check (tests). */
  int8Instructions?: readonly string[];
}

export async function openAtPrecision(fp32File: string, options: ChooseOptions): Promise<PrecisionChoice> {
  const { precision, int8File, open } = options;
  if (precision === 'fp32' || int8File === undefined) {
    return { model: await open(fp32File), precision: 'fp32', reason: precision === 'fp32' ? 'configured' : 'the bundle has no int8 variant of it' };
  }
  if (precision === 'int8') return { model: await open(int8File), precision: 'int8', reason: 'configured' };
  const instructions = options.int8Instructions ?? int8DotInstructions();
  if (instructions.length === 0) return { model: await open(fp32File), precision: 'fp32', reason: 'this CPU has no int8 dot-product instructions' };
  const fp32 = await open(fp32File);
  const int8 = await open(int8File);
  try {
    const fp32Ms = await timeRuns(fp32, options.probeBatch);
    const int8Ms = await timeRuns(int8, options.probeBatch);
    const measured = `int8 ${int8Ms.toFixed(2)} ms vs fp32 ${fp32Ms.toFixed(2)} ms at batch ${options.probeBatch}`;
    const keepInt8 = int8Ms <= AUTO_MAX_TIME_RATIO * fp32Ms;
    await (keepInt8 ? fp32 : int8).release();
    return { model: keepInt8 ? int8 : fp32, precision: keepInt8 ? 'int8' : 'fp32', reason: `${measured} (${instructions.join(', ')})` };
  } catch (error) {
    await Promise.allSettled([fp32.release(), int8.release()]);
    throw error;
  }
}
