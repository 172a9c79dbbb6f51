/**
 * Multi-step consistency (LCM) sampling, as in diffusers' LCMScheduler: at each timestep the
 * consistency function maps z_t straight to a clean latent; between steps that estimate is
 * re-noised to the next (smaller) timestep with fresh noise.
 */
import { assertLength, type GuidedEpsUnet } from './types.js';

export interface LcmParams {
  /** alpha_bar per training timestep (noise-schedule.ts). */
  alphasCumprod: Float64Array;
  /** Descending timesteps, one unet call each. */
  timesteps: readonly number[];
  /** Value fed to the unet's guidance input (distilled guidance; passed through unchanged). */
  guidance: number;
  sigmaData: number;
  timestepScaling: number;
  /**
   * timesteps.length arrays of batch * latentSize standard normals: noise[0] is the starting latent,
   * noise[i] re-noises the estimate after step i - 1.
   */
  noise: readonly Float32Array[];
}

/**
 * LCM timesteps for `steps` NFEs: the teacher's `originalSteps` evenly spaced timesteps
 * (k - 1, 2k - 1, ..., T - 1 with k = T / originalSteps), of which `steps` are taken at evenly
 * spaced indices from the noisy end. 4 of 50 over 1000 gives [999, 759, 499, 259].
 */
export function lcmTimesteps(steps: number, originalSteps: number, numTrainTimesteps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1 || steps > originalSteps) {
    throw new RangeError(`LCM steps must be an integer in 1..${originalSteps}, got ${steps}`);
  }
  const k = Math.floor(numTrainTimesteps / originalSteps);
  const stride = originalSteps / steps;
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const fromEnd = Math.floor(i * stride);
    out.push((originalSteps - fromEnd) * k - 1);
  }
  return out;
}

/** c_skip and c_out of the consistency boundary condition (f(z_0) = z_0 at t = 0). */
export function boundaryScalings(t: number, sigmaData: number, timestepScaling: number): { cSkip: number; cOut: number } {
  const scaled = t * timestepScaling;
  const sd2 = sigmaData * sigmaData;
  return { cSkip: sd2 / (scaled * scaled + sd2), cOut: scaled / Math.sqrt(scaled * scaled + sd2) };
}

/** Returns the denoised (still scaled) latent of every batch element. */
export async function sampleLcm(unet: GuidedEpsUnet, cond: Float32Array, params: LcmParams): Promise<Float32Array> {
  const { timesteps, noise, alphasCumprod } = params;
  const n = cond.length;
  if (timesteps.length === 0) throw new RangeError('LCM needs at least one timestep');
  if (noise.length < timesteps.length) {
    throw new RangeError(`LCM needs ${timesteps.length} noise arrays, got ${noise.length}`);
  }
  noise.forEach((arr, i) => assertLength(`noise[${i}]`, arr.length, n));

  let z = Float32Array.from(noise[0]);
  const denoised = new Float32Array(n);
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i];
    const eps = await unet(z, cond, t, params.guidance);
    assertLength(`unet output at t=${t}`, eps.length, n);

    const alphaBar = alphasCumprod[t];
    const sqrtAlpha = Math.sqrt(alphaBar);
    const sqrtOneMinusAlpha = Math.sqrt(1 - alphaBar);
    const { cSkip, cOut } = boundaryScalings(t, params.sigmaData, params.timestepScaling);
    for (let j = 0; j < n; j++) {
      const x0 = (z[j] - sqrtOneMinusAlpha * eps[j]) / sqrtAlpha;
      denoised[j] = cSkip * z[j] + cOut * x0;
    }

    if (i < timesteps.length - 1) {
      const nextAlphaBar = alphasCumprod[timesteps[i + 1]];
      const keep = Math.sqrt(nextAlphaBar);
      const fresh = Math.sqrt(1 - nextAlphaBar);
      const renoise = noise[i + 1];
      // A new array: the unet callback may still hold the previous one.
      z = new Float32Array(n);
      for (let j = 0; j < n; j++) z[j] = keep * denoised[j] + fresh * renoise[j];
    }
  }
  return denoised;
}
