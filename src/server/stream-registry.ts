/**
 * The streams the server knows about: their redacted URL, lifecycle state, corruption setting and
 * recent statistics.
 * Streams are registered up front (from the config) or on first mention by the pipeline.
 */
import type { StreamStatsSummary, StreamSummary } from './protocol.js';
import { redactUrl } from './redact.js';
import { RollingStats } from './rolling-stats.js';
import type { StreamDescriptor, StreamState, StreamStateUpdate } from './types.js';

interface StreamEntry {
  id: string;
  url: string | null;
  /** Undefined: not known (see StreamSummary.corruption). */
  corruption: string | null | undefined;
  update: StreamStateUpdate;
  stats: RollingStats;
}

export class StreamRegistry {
  readonly #streams = new Map<string, StreamEntry>();

  /** Returns the stream, registering it (state `starting`) if it is new; a given url or corruption replaces the known one. */
  ensure(descriptor: StreamDescriptor): StreamEntry {
    let entry = this.#streams.get(descriptor.id);
    if (entry === undefined) {
      entry = { id: descriptor.id, url: null, corruption: undefined, update: { state: 'starting' }, stats: new RollingStats() };
      this.#streams.set(descriptor.id, entry);
    }
    if (descriptor.url !== undefined) entry.url = redactUrl(descriptor.url);
    if (descriptor.corruption !== undefined) entry.corruption = descriptor.corruption;
    return entry;
  }

  /** Records a stream's new corruption setting; false (and nothing registered) for an unknown stream. */
  setCorruption(id: string, corruption: string | null): boolean {
    const entry = this.#streams.get(id);
    if (entry !== undefined) entry.corruption = corruption;
    return entry !== undefined;
  }

  has(id: string): boolean {
    return this.#streams.has(id);
  }

  remove(id: string): boolean {
    return this.#streams.delete(id);
  }

  /** Records a state change; returns the previous state (undefined for a new stream). */
  setState(id: string, update: StreamStateUpdate): StreamState | undefined {
    const existed = this.#streams.get(id);
    const previous = existed?.update.state;
    this.ensure({ id }).update = { ...update };
    return previous;
  }

  stats(id: string): RollingStats {
    return this.ensure({ id }).stats;
  }

  runningCount(): number {
    let n = 0;
    for (const entry of this.#streams.values()) if (entry.update.state === 'running') n++;
    return n;
  }

  summaries(): StreamSummary[] {
    return [...this.#streams.values()].map((e) => ({
      id: e.id,
      url: e.url,
      ...e.update,
      ...(e.corruption === undefined ? {} : { corruption: e.corruption }),
    }));
  }

  statsSummaries(now: number): StreamStatsSummary[] {
    return [...this.#streams.values()].map((e) => ({
      id: e.id,
      state: e.update.state,
      fps: round(e.stats.fps(now), 2),
      p95LatencyMs: nullableRound(e.stats.p95LatencyMs(), 1),
      dropped: e.stats.dropped,
      labelChangesPerMinute: e.stats.labelChangesPerMinute(now),
    }));
  }
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function nullableRound(value: number | null, digits: number): number | null {
  return value === null ? null : round(value, digits);
}
