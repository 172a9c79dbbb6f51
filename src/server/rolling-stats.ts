/**
 * Recent-history statistics of one stream for the `stats` message: frame rate over a sliding
 * window and the 95th percentile of the last few hundred latencies. Fixed-size rings, so memory
 * does not grow with uptime.
 */
const FPS_WINDOW_MS = 5000;
const MAX_TIMESTAMPS = 2048;
const MAX_LATENCIES = 256;
const LABEL_CHANGE_WINDOW_MS = 60_000;
const MAX_LABEL_CHANGES = 1024;

export class RollingStats {
  readonly #frameTimes = new Float64Array(MAX_TIMESTAMPS);
  #frameCount = 0;
  readonly #latencies = new Float64Array(MAX_LATENCIES);
  #latencyCount = 0;
  #dropped = 0;
  readonly #labelChangeTimes = new Float64Array(MAX_LABEL_CHANGES);
  #labelChangeCount = 0;

  recordFrame(now: number): void {
    this.#frameTimes[this.#frameCount % MAX_TIMESTAMPS] = now;
    this.#frameCount++;
  }

  recordLatency(ms: number): void {
    this.#latencies[this.#latencyCount % MAX_LATENCIES] = ms;
    this.#latencyCount++;
  }

  recordLabelChange(now: number): void {
    this.#labelChangeTimes[this.#labelChangeCount % MAX_LABEL_CHANGES] = now;
    this.#labelChangeCount++;
  }

  /** Times the stream's reported label changed during the last minute (a flickering label shows here). */
  labelChangesPerMinute(now: number): number {
    const stored = Math.min(this.#labelChangeCount, MAX_LABEL_CHANGES);
    let n = 0;
    for (let i = 0; i < stored; i++) {
      if (now - this.#labelChangeTimes[(this.#labelChangeCount - 1 - i) % MAX_LABEL_CHANGES]! > LABEL_CHANGE_WINDOW_MS) break;
      n++;
    }
    return n;
  }

  addDropped(n: number): void {
    this.#dropped += n;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Frames per second over the frames of the last FPS_WINDOW_MS. */
  fps(now: number): number {
    const stored = Math.min(this.#frameCount, MAX_TIMESTAMPS);
    let inWindow = 0;
    let oldest = now;
    for (let i = 0; i < stored; i++) {
      const t = this.#frameTimes[(this.#frameCount - 1 - i) % MAX_TIMESTAMPS]!;
      if (now - t > FPS_WINDOW_MS) break;
      inWindow++;
      oldest = t;
    }
    if (inWindow < 2) return 0;
    // n frames span n-1 intervals; measuring to `now` lets the rate decay when frames stop.
    return ((inWindow - 1) * 1000) / Math.max(now - oldest, 1);
  }

  /** 95th percentile (nearest rank) of the recent latencies; null before the first. */
  p95LatencyMs(): number | null {
    const n = Math.min(this.#latencyCount, MAX_LATENCIES);
    if (n === 0) return null;
    const sorted = this.#latencies.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.ceil(0.95 * n) - 1)]!;
  }
}
