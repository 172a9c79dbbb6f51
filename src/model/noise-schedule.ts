/**
 * The diffusion noise schedule of the training run (DDPM betas and their cumulative alpha products).
 * Computed in float64: the samplers divide by sqrt(alpha_bar) near t = 999, where it is ~0.07, and
 * every lost digit there is amplified.
 */
import type { NoiseSchedule } from './manifest.js';

export function betas(schedule: NoiseSchedule): Float64Array {
  const n = schedule.numTrainTimesteps;
  const out = new Float64Array(n);
  if (schedule.betaSchedule === 'linear') {
    linspaceInto(out, schedule.betaStart, schedule.betaEnd);
  } else {
    // 'scaled_linear' (Stable Diffusion): linear in sqrt(beta), then squared.
    linspaceInto(out, Math.sqrt(schedule.betaStart), Math.sqrt(schedule.betaEnd));
    for (let i = 0; i < n; i++) out[i] = out[i] * out[i];
  }
  return out;
}

/** alpha_bar[t] = prod_{s <= t} (1 - beta[s]). */
export function alphasCumprod(schedule: NoiseSchedule): Float64Array {
  const b = betas(schedule);
  const out = new Float64Array(b.length);
  let product = 1;
  for (let i = 0; i < b.length; i++) {
    product *= 1 - b[i];
    out[i] = product;
  }
  return out;
}

/** numpy.linspace(start, end, out.length) with the end point included. */
export function linspaceInto(out: Float64Array, start: number, end: number): Float64Array {
  const n = out.length;
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = end;
  return out;
}
