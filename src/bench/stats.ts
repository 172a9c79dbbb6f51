/**
 * Small statistics for benchmark samples. Percentiles interpolate linearly between the two
 * nearest ranks (numpy's default), so p50 of [1, 2, 3, 4] is 2.5 and a single sample is every
 * percentile of itself.
 *
 *   percentile([10, 20, 30, 40, 50], 95)  // 48
 *   median([3, 1, 2])                      // 2
 */

/** The p-th percentile (0-100) of the samples; NaN for an empty list. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0-100, got ${p}`);
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const below = Math.floor(rank);
  const above = Math.ceil(rank);
  return sorted[below] + (sorted[above] - sorted[below]) * (rank - below);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

/** Latency percentiles in milliseconds; null when there was no sample. */
export interface LatencySummary {
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
  samples: number;
}

export function summarizeLatency(samples: readonly number[]): LatencySummary {
  return {
    p50_ms: finiteOrNull(percentile(samples, 50), 1),
    p95_ms: finiteOrNull(percentile(samples, 95), 1),
    p99_ms: finiteOrNull(percentile(samples, 99), 1),
    max_ms: finiteOrNull(samples.length === 0 ? Number.NaN : samples.reduce((max, x) => Math.max(max, x), -Infinity), 1),
    samples: samples.length,
  };
}

/** Rounds to `digits` decimals; NaN and infinities stay as they are. */
export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const scale = 10 ** digits;
  return Math.round(x * scale) / scale;
}

/** The rounded number, or null for NaN and infinities (what the results JSON holds for "not measured"). */
export function finiteOrNull(x: number, digits = 2): number | null {
  return Number.isFinite(x) ? round(x, digits) : null;
}

/** a / b, or NaN when b is not a positive number. */
export function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a) && Number.isFinite(b) ? a / b : Number.NaN;
}
