/**
 * Deterministic DDIM (eta = 0) with InstructPix2Pix image guidance, as Decorruptor-DPM samples.
 *
 * The official editor also has a text branch (fixed instruction "Clean the image", three-way
 * guidance). Our editors take no text, so the three-way guidance collapses to two-way image
 * guidance: every step runs one unet batch of 2B, the first half conditioned on the input image's
 * latent and the second on a zero latent (the "null image" of condition dropout), and
 *   eps = eps_null + sI * (eps_image - eps_null),  sI = sqrt(linspace(start^2, end^2, steps)).
 */
import { assertLength, type EpsUnet } from './types.js';

export interface DdimParams {
  alphasCumprod: Float64Array;
  numTrainTimesteps: number;
  steps: number;
  imageGuidance: { start: number; end: number };
  /**
   * alpha_bar "before" timestep 0, used by the last step. true: 1 (the last step returns the x0
   * prediction exactly); false: alpha_bar[0] (diffusers' DDIMScheduler with set_alpha_to_one=False,
   * Stable Diffusion's shipped config).
   */
  setAlphaToOne: boolean;
  /** batch * latentSize standard normals: the starting latent. */
  noise: Float32Array;
}

/** "leading" spacing: (steps - 1) * r, ..., r, 0 with r = floor(T / steps); 20 of 1000 gives 950..0. */
export function ddimTimesteps(steps: number, numTrainTimesteps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > numTrainTimesteps) {
    throw new RangeError(`DDIM steps must be an integer in 1..${numTrainTimesteps}, got ${steps}`);
  }
  const ratio = Math.floor(numTrainTimesteps / steps);
  return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio);
}

/** Per-step image guidance scale, decaying from `start` to `end` linearly in sI^2. */
export function imageGuidanceScales(steps: number, start: number, end: number): number[] {
  if (steps === 1) return [start];
  const a = start * start;
  const b = end * end;
  return Array.from({ length: steps }, (_, i) => Math.sqrt(i === steps - 1 ? b : a + ((b - a) * i) / (steps - 1)));
}

/** Returns the final (scaled) latent of every batch element. */
export async function sampleDdim(unet: EpsUnet, cond: Float32Array, params: DdimParams): Promise<Float32Array> {
  const n = cond.length;
  assertLength('noise', params.noise.length, n);
  const timesteps = ddimTimesteps(params.steps, params.numTrainTimesteps);
  const scales = imageGuidanceScales(params.steps, params.imageGuidance.start, params.imageGuidance.end);
  const ratio = Math.floor(params.numTrainTimesteps / params.steps);
  const finalAlphaBar = params.setAlphaToOne ? 1 : params.alphasCumprod[0];

  // Conditions for the paired batch: [image latents ; zero latents]; built once.
  const condPair = new Float32Array(2 * n);
  condPair.set(cond, 0);

  let z = Float32Array.from(params.noise);
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i];
    const samplePair = new Float32Array(2 * n);
    samplePair.set(z, 0);
    samplePair.set(z, n);
    const epsPair = await unet(samplePair, condPair, t);
    assertLength(`unet output at t=${t}`, epsPair.length, 2 * n);

    const alphaBar = params.alphasCumprod[t];
    const prevT = t - ratio;
    const prevAlphaBar = prevT >= 0 ? params.alphasCumprod[prevT] : finalAlphaBar;
    const sqrtAlpha = Math.sqrt(alphaBar);
    const sqrtOneMinusAlpha = Math.sqrt(1 - alphaBar);
    const sqrtPrevAlpha = Math.sqrt(prevAlphaBar);
    const sqrtOneMinusPrevAlpha = Math.sqrt(1 - prevAlphaBar);
    const sI = scales[i];

    const next = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const epsNull = epsPair[n + j];
      const eps = epsNull + sI * (epsPair[j] - epsNull);
      const x0 = (z[j] - sqrtOneMinusAlpha * eps) / sqrtAlpha;
      next[j] = sqrtPrevAlpha * x0 + sqrtOneMinusPrevAlpha * eps;
    }
    z = next;
  }
  return z;
}
