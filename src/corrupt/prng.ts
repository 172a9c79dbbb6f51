/**
 * Small seeded PRNG so every corruption is a pure function of (image, type, severity, seed).
 * mulberry32 core (32-bit state, fast, good enough for image noise), Box-Muller normals.
 */

/** 32-bit integer finaliser (murmur3 fmix32): spreads nearby seeds far apart. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string, so a type name can salt the seed. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Folds any finite number (negative, fractional, above 2^32) and an optional salt into a
 * 32-bit state. Integers that differ anywhere in their 53 bits give different states.
 */
export function seedState(seed: number, salt = ''): number {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const int = Math.trunc(seed);
  const frac = seed - int;
  const lo = int >>> 0; // low 32 bits (two's complement for negatives)
  const hi = Math.floor(int / 4294967296) >>> 0;
  let h = mix32(lo ^ 0x9e3779b9);
  h = mix32(h ^ hi);
  if (frac !== 0) h = mix32(h ^ Math.floor(frac * 4294967296));
  if (salt) h = mix32(h ^ hashString(salt));
  return h;
}

export class Rng {
  private state: number;
  private spareNormal = NaN;

  constructor(seed: number, salt = '') {
    this.state = seedState(seed, salt);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hiExclusive), like numpy's randint. */
  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }

  /** Standard normal via Box-Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = NaN;
      return z;
    }
    const u = 1 - this.next(); // (0, 1]: keeps log finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new array with standard normals. */
  normals(n: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** Fills a new array with uniforms in [lo, hi). */
  uniforms(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
}

/**
 * Inverse-CDF tables of Poisson(level / 255 * rate) for the 256 byte levels, so a Poisson draw is a
 * binary search with one uniform. Sharing that uniform across a noise grain cell keeps each pixel's
 * own rate. Tables stop where the upper tail is below 1e-12; cached per rate (a few per process).
 */
const poissonTables = new Map<number, Float64Array[]>();

export function poissonCdfTables(rate: number): Float64Array[] {
  let tables = poissonTables.get(rate);
  if (!tables) {
    tables = [];
    for (let level = 0; level < 256; level++) {
      const lambda = (level / 255) * rate;
      const cdf: number[] = [];
      let p = Math.exp(-lambda); // > 0 for lambda < 745
      let sum = p;
      cdf.push(sum);
      for (let k = 1; sum < 1 - 1e-12 && k < lambda + 30 * Math.sqrt(lambda) + 30; k++) {
        p *= lambda / k;
        sum += p;
        cdf.push(sum);
      }
      tables.push(Float64Array.from(cdf));
    }
    poissonTables.set(rate, tables);
  }
  return tables;
}

/** Smallest k with cdf[k] >= u (the last k when rounding leaves u above the table). */
export function poissonQuantile(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] >= u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
