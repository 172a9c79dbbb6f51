/**
 * One stream's corruption level over time: an exponential average of the gate's per-frame scores
 * (half-life in the stream's own time) and hysteresis on top, so the editor switches on when the
 * level reaches the threshold and off only once it has stayed `hysteresis` below it for
 * `offDelayMs`. A camera's condition changes slowly; a stream whose scores hover near the
 * threshold must not flicker between edited and unedited frames. The delay is on the way off only:
 * an edit a frame did not need costs compute, a missing one costs accuracy.
 */

export interface GateLevelOptions {
  /** Level (0..1) from which the stream's frames are edited. */
  threshold: number;
  /** The editor switches off below threshold - hysteresis. */
  hysteresis: number;
  /** Time for a frame's weight in the level to halve, in stream time (ptsMs). */
  halfLifeMs: number;
  /** How long (stream time) the level must stay under threshold - hysteresis before the editor switches off; default 0, at once. */
  offDelayMs?: number;
}

/** The frame flow's per-stream gate: the level's options, and how often a stream is scored. */
export interface StreamGateOptions extends GateLevelOptions {
  /**
   * A stream whose editor is decided, and whose level is clear of the hysteresis band, is scored
   * at most once in this much stream time (0: every frame); the frames in between carry its level
   * and skip the gate model.
   */
  scoreEveryMs: number;
}

export interface GateLevelState {
  /** The smoothed score. */
  level: number;
  /** Whether the stream's next frames are edited. */
  active: boolean;
}

export class GateLevel {
  readonly #options: GateLevelOptions;
  #state: GateLevelState | null = null;
  #lastPtsMs = 0;
  /** When an active stream's level last went under the switch-off level; null while it is above. */
  #lowSinceMs: number | null = null;

  constructor(options: GateLevelOptions) {
    if (!(options.threshold >= 0 && options.threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${options.threshold}`);
    if (!(options.hysteresis >= 0 && options.hysteresis <= 1)) throw new RangeError(`hysteresis must be in [0, 1], got ${options.hysteresis}`);
    if (!(options.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be > 0, got ${options.halfLifeMs}`);
    if (!((options.offDelayMs ?? 0) >= 0)) throw new RangeError(`offDelayMs must be >= 0, got ${options.offDelayMs}`);
    this.#options = options;
  }

  /** The current level and decision; null before the first score (or after a reset): each frame decides for itself. */
  get state(): GateLevelState | null {
    return this.#state;
  }

  /** Forgets the past (a discontinuity): the next score alone decides, as it would per image. */
  reset(): void {
    this.#state = null;
    this.#lowSinceMs = null;
  }

  update(score: number, ptsMs: number): GateLevelState {
    const { threshold, hysteresis, halfLifeMs, offDelayMs = 0 } = this.#options;
    const previous = this.#state;
    let state: GateLevelState;
    if (previous === null) {
      state = { level: score, active: score >= threshold };
    } else {
      // Weight from the time since the last score: dropped frames do not change how fast the past fades.
      const alpha = 1 - 0.5 ** (Math.max(ptsMs - this.#lastPtsMs, 0) / halfLifeMs);
      const level = (1 - alpha) * previous.level + alpha * score;
      state = { level, active: previous.active ? this.#staysOn(level, ptsMs, threshold - hysteresis, offDelayMs) : level >= threshold };
    }
    this.#state = state;
    this.#lastPtsMs = ptsMs;
    return state;
  }

  /** Whether an active stream stays on: its level is at `offLevel` or above, or went under it less than `offDelayMs` ago. */
  #staysOn(level: number, ptsMs: number, offLevel: number, offDelayMs: number): boolean {
    if (level >= offLevel) {
      this.#lowSinceMs = null;
      return true;
    }
    this.#lowSinceMs ??= ptsMs;
    if (ptsMs - this.#lowSinceMs < offDelayMs) return true;
    this.#lowSinceMs = null;
    return false;
  }
}
