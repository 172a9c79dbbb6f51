/**
 * Seeded Gaussian noise for the editors. A stream's noise is fixed, reused for every frame: the
 * sampler is then a fixed function of the input, so consecutive, similar frames get similar edits
 * instead of flickering. Which noise matters too (on validation, fixed noises move the CM ensemble
 * by 3 points), so a bundle may pin the seed it was validated with; every stream then shares it.
 * training/noise.py is this generator's Python twin, used to choose that seed.
 */

/** Where an editor's noise comes from: the bundle's pinned seed (when it has one) or each stream's own. */
export const EDITOR_NOISE_SOURCES = ['bundle', 'per-stream'] as const;
export type EditorNoiseSource = (typeof EDITOR_NOISE_SOURCES)[number];

/** The noise an editor samples with: the bundle's pinned seed, or the base seed of each stream's own. */
export interface EditorNoise {
  source: EditorNoiseSource;
  seed: number;
}

/** 32-bit FNV-1a of a string, mixed with a base seed. */
export function streamSeed(streamId: string, baseSeed: number): number {
  let h = 0x811c9dc5 ^ (baseSeed >>> 0);
  for (let i = 0; i < streamId.length; i++) {
    h ^= streamId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Weyl sequence scrambled by the murmur3 32-bit finaliser (a small counter-based generator), turned
 * into normals by the Box-Muller transform. Same seed, same sequence, on every platform.
 */
export class GaussianRng {
  #state: number;
  #spare: number | null = null;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in (0, 1), never 0 (log(0) in Box-Muller). */
  #uniform(): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return (z + 0.5) / 4294967296;
  }

  next(): number {
    if (this.#spare !== null) {
      const value = this.#spare;
      this.#spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.#uniform()));
    const angle = 2 * Math.PI * this.#uniform();
    this.#spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  fill(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.next();
    return out;
  }
}

/** Draws `count` arrays of `length` normals, in order, from one seed. */
export function noiseArrays(seed: number, count: number, length: number): readonly Float32Array[] {
  const rng = new GaussianRng(seed);
  return Array.from({ length: count }, () => rng.fill(new Float32Array(length)));
}

/**
 * The noise arrays of one editor configuration: `count` arrays of `length` normals per stream.
 * With `sharedSeed` (a bundle's noise chosen on validation) every stream gets the arrays of that
 * seed; otherwise each stream gets its own, derived from its id and `baseSeed`, cached for the most
 * recently seen streams.
 */
export class StreamNoise {
  readonly count: number;
  readonly length: number;
  #baseSeed: number;
  #shared: readonly Float32Array[] | null;
  #cache = new Map<string, readonly Float32Array[]>();
  #limit: number;

  constructor(options: { baseSeed: number; sharedSeed?: number; count: number; length: number; cacheLimit?: number }) {
    this.#baseSeed = options.baseSeed;
    this.count = options.count;
    this.length = options.length;
    this.#limit = options.cacheLimit ?? 64;
    this.#shared = options.sharedSeed === undefined ? null : noiseArrays(options.sharedSeed, this.count, this.length);
  }

  forStream(streamId: string): readonly Float32Array[] {
    if (this.#shared) return this.#shared;
    let arrays = this.#cache.get(streamId);
    if (arrays) {
      // Refresh its place in the least-recently-used order.
      this.#cache.delete(streamId);
    } else {
      arrays = noiseArrays(streamSeed(streamId, this.#baseSeed), this.count, this.length);
      if (this.#cache.size >= this.#limit) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    this.#cache.set(streamId, arrays);
    return arrays;
  }

  /** The `count` noise arrays of a batch, each holding the frames' per-stream arrays batch-major. */
  batch(streamIds: readonly string[]): Float32Array[] {
    return Array.from({ length: this.count }, (_, index) => {
      const out = new Float32Array(streamIds.length * this.length);
      streamIds.forEach((id, b) => out.set(this.forStream(id)[index], b * this.length));
      return out;
    });
  }
}
