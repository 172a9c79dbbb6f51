/**
 * Sampler contracts. Samplers are pure functions over Float32Arrays: the network is injected as an
 * async callback and the noise as arrays, so the same code runs on onnxruntime in the worker and on
 * an analytic fake unet in the tests.
 *
 * Latents are batch-major: element (b, i) of a batch lives at b * latentSize + i.
 */

/** Editor unet, epsilon prediction. `timestep` is shared by the whole batch. */
export type EpsUnet = (sample: Float32Array, cond: Float32Array, timestep: number) => Promise<Float32Array>;

/** Consistency-distilled unet: also takes the distilled guidance scale. */
export type GuidedEpsUnet = (
  sample: Float32Array,
  cond: Float32Array,
  timestep: number,
  guidance: number,
) => Promise<Float32Array>;

/** Throws when a callback returned a tensor of the wrong length: a silent mismatch would corrupt the latent. */
export function assertLength(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new RangeError(`${what}: expected ${expected} values, got ${actual}`);
}
