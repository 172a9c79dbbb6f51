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

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * A Poisson(lambda) draw driven by one standard normal z, so neighbouring pixels can share a
 * draw (noise grain) while keeping their own rate. Small rates invert the exact CDF at
 * u = Phi(z); from lambda >= 40 on the normal approximation is used (skew < 0.16).
 */
export function poissonFromNormal(lambda: number, z: number): number {
  if (lambda <= 0) return 0;
  if (lambda >= 40) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  const u = normalCdf(z);
  let k = 0;
  let p = Math.exp(-lambda);
  let cdf = p;
  while (cdf < u && k < 200) {
    k++;
    p *= lambda / k;
    cdf += p;
  }
  return k;
}
