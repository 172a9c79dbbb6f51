/**
 * Start-up speed checks of one model: made-up inputs of the declared types and shapes, and the
 * median time of a few runs. Used where the runtime chooses between two ways of running the same
 * model by measuring them on this machine (precision.ts, onnx-model.ts's one-thread session).
 */
import type { BatchInput } from './onnx-model.js';

/** What a probe needs to know of a model: its inputs' names and declared types and shapes. */
export interface ProbedModel {
  readonly inputNames: readonly string[];
  tensorMeta(kind: 'input', name: string): { type: string; shape: readonly (number | string)[] } | undefined;
}

/** Zero-ish inputs of the declared types: symbolic first dimensions become `batch`, other symbolic ones 1. */
export function probeInputs(model: ProbedModel, batch: number): Record<string, BatchInput> {
  const inputs: Record<string, BatchInput> = {};
  for (const name of model.inputNames) {
    const meta = model.tensorMeta('input', name);
    const dims = (meta?.shape ?? [batch]).map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? batch : 1));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = meta?.type === 'int64' ? new BigInt64Array(n).fill(1n) : meta?.type === 'int32' ? new Int32Array(n).fill(1) : new Float32Array(n).map((_, i) => ((i % 17) - 8) / 8);
    inputs[name] = { data, dims };
  }
  return inputs;
}

/**
 * Median milliseconds of `runs` calls of `run`, after `warmup` calls that are not timed; with
 * `idleMs`, each timed call comes that long after the last one ended, as a live frame does.
 */
export async function medianRunMs(run: () => Promise<unknown>, runs: number, warmup: number, idleMs = 0): Promise<number> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (idleMs > 0) await new Promise((resolve) => setTimeout(resolve, idleMs));
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}
