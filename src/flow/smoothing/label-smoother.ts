/**
 * One stream's label over time: an average of the ensemble's class distributions (exponential with
 * a half-life in stream time, or a window of the last N frames) and hysteresis on top, so that the
 * label changes only when a new class leads the current one by `margin`. Real footage squeezed to
 * the model's input size flickers from frame to frame; one scene should keep one label.
 */

export const SMOOTHING_MODES = ['off', 'ema', 'window'] as const;
export type SmoothingMode = (typeof SMOOTHING_MODES)[number];

export interface SmoothingOptions {
  mode: SmoothingMode;
  /** ema: time for a frame's weight to halve, in the stream's own time (ptsMs). */
  halfLifeMs: number;
  /** window: frames averaged. */
  window: number;
  /** The label changes only when the new class's smoothed probability leads the current one's by this much. */
  margin: number;
}

export interface SmoothedLabel {
  /** The smoothed class distribution (sums to 1). */
  distribution: Float64Array;
  /** The label's class index after hysteresis (not always the distribution's arg-max). */
  index: number;
}

export class LabelSmoother {
  readonly #options: SmoothingOptions;
  #average: Float64Array | null = null;
  readonly #recent: Float32Array[] = [];
  #lastPtsMs = 0;
  #current = -1;

  constructor(options: SmoothingOptions) {
    if (options.mode === 'off') throw new RangeError("LabelSmoother needs mode 'ema' or 'window'");
    if (!(options.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${options.halfLifeMs}`);
    if (!Number.isInteger(options.window) || options.window < 1) throw new RangeError(`window must be an integer >= 1, got ${options.window}`);
    if (!(options.margin >= 0 && options.margin < 1)) throw new RangeError(`margin must be in [0, 1), got ${options.margin}`);
    this.#options = options;
  }

  /** Forgets the past: the next frame starts afresh (a discontinuity, a scene cut). */
  reset(): void {
    this.#average = null;
    this.#recent.length = 0;
    this.#current = -1;
  }

  update(distribution: Float32Array, ptsMs: number): SmoothedLabel {
    const average = this.#options.mode === 'ema' ? this.#ema(distribution, ptsMs) : this.#windowMean(distribution);
    this.#lastPtsMs = ptsMs;
    const leader = argMax(average);
    if (this.#current < 0 || (leader !== this.#current && average[leader]! - average[this.#current]! >= this.#options.margin)) {
      this.#current = leader;
    }
    return { distribution: average, index: this.#current };
  }

  #ema(distribution: Float32Array, ptsMs: number): Float64Array {
    if (this.#average === null || this.#average.length !== distribution.length) {
      this.#average = Float64Array.from(distribution);
      return this.#average;
    }
    // Weight of the new frame from the time since the last one: frames dropped by a slow worker or a
    // variable frame rate do not change how fast the past fades.
    const elapsedMs = Math.max(ptsMs - this.#lastPtsMs, 0);
    const alpha = 1 - 0.5 ** (elapsedMs / this.#options.halfLifeMs);
    for (let i = 0; i < distribution.length; i++) this.#average[i] = (1 - alpha) * this.#average[i]! + alpha * distribution[i]!;
    return this.#average;
  }

  #windowMean(distribution: Float32Array): Float64Array {
    if (this.#recent.length > 0 && this.#recent[0]!.length !== distribution.length) this.#recent.length = 0;
    this.#recent.push(distribution);
    if (this.#recent.length > this.#options.window) this.#recent.shift();
    const mean = new Float64Array(distribution.length);
    for (const d of this.#recent) for (let i = 0; i < d.length; i++) mean[i] += d[i]! / this.#recent.length;
    return mean;
  }
}

function argMax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
