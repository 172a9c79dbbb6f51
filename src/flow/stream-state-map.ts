/**
 * Per-stream state of a flow stage (a label smoother, a gate level, the stream's gate decision),
 * kept while its stream is heard from. An entry left untouched for `idleMs` goes at the next sweep,
 * so that streams added and removed through the stream API for days leave nothing behind. One that
 * is heard from again after that long starts afresh, as it does after any discontinuity: its old
 * state would have decayed to nothing anyway (the smoothers' half-lives are seconds).
 */

export interface StreamStateMapOptions {
  /** How long an entry outlives its stream's last frame. Default 5 minutes. */
  idleMs?: number;
  /** Milliseconds of a monotonic clock (tests pass their own). */
  now?: () => number;
}

export const DEFAULT_STREAM_STATE_IDLE_MS = 5 * 60_000;

export class StreamStateMap<V> {
  readonly #entries = new Map<string, { value: V; seenAt: number }>();
  readonly #idleMs: number;
  readonly #now: () => number;
  #sweptAt: number;

  constructor(options: StreamStateMapOptions = {}) {
    this.#idleMs = options.idleMs ?? DEFAULT_STREAM_STATE_IDLE_MS;
    this.#now = options.now ?? (() => performance.now());
    this.#sweptAt = this.#now();
  }

  get(streamId: string): V | undefined {
    const now = this.#touch(); // first: a sweep may take this very entry
    const entry = this.#entries.get(streamId);
    if (entry !== undefined) entry.seenAt = now;
    return entry?.value;
  }

  /** The stream's entry, made by `create` when it has none. */
  getOrCreate(streamId: string, create: () => V): V {
    const value = this.get(streamId);
    if (value !== undefined) return value;
    const created = create();
    this.set(streamId, created);
    return created;
  }

  set(streamId: string, value: V): void {
    this.#entries.set(streamId, { value, seenAt: this.#touch() });
  }

  delete(streamId: string): void {
    this.#entries.delete(streamId);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The time now; sweeps the idle entries out first when the last sweep is idleMs old (a pass over the entries at most once per idleMs). */
  #touch(): number {
    const now = this.#now();
    if (now - this.#sweptAt >= this.#idleMs) {
      this.#sweptAt = now;
      for (const [id, entry] of this.#entries) if (now - entry.seenAt >= this.#idleMs) this.#entries.delete(id);
    }
    return now;
  }
}
