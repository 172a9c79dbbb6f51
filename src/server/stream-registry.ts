/**
 * The streams the server knows about: their redacted URL, lifecycle state, corruption setting,
 * regions of interest and recent statistics.
 * Streams are registered up front (from the config) or on first mention by the pipeline; a region's
 * stream (`<id>.<region id>`) on first mention, and it leaves with its region.
 */
import { regionStreamId, splitRegionStreamId, type Region } from '../config/regions.js';
import type { StreamStatsSummary, StreamSummary } from './protocol.js';
import { redactUrl } from './redact.js';
import { RollingStats } from './rolling-stats.js';
import type { StreamDescriptor, StreamState, StreamStateUpdate } from './types.js';

interface StreamEntry {
  id: string;
  url: string | null;
  /** Undefined: not known (see StreamSummary.corruption). */
  corruption: string | null | undefined;
  /** Undefined: the stream takes no regions (see StreamSummary.regions). */
  regions: Region[] | undefined;
  update: StreamStateUpdate;
  stats: RollingStats;
}

/** How many removed ids are remembered; beyond that the oldest is forgotten (a stream API churning ids stays bounded). */
const REMEMBERED_REMOVALS = 1024;

export interface StreamRegistryOptions {
  /**
   * Called for each id forgotten (a stream removed, or a region's stream with its region), so that
   * what is kept per stream elsewhere (publish queues, /metrics series) leaves with it.
   */
  onForget?: (id: string) => void;
}

export class StreamRegistry {
  readonly #streams = new Map<string, StreamEntry>();
  readonly #onForget: ((id: string) => void) | undefined;
  /**
   * Ids removed (streams and regions' streams) and not registered since, oldest first. A frame or
   * state of one can still come after its removal (the flow finishes what it had queued); it is
   * not news of a new stream.
   */
  readonly #removed = new Set<string>();

  constructor(options: StreamRegistryOptions = {}) {
    this.#onForget = options.onForget;
  }

  /**
   * Returns the stream, registering it (state `starting`) if it is new, also one removed before;
   * a given url or corruption replaces the known one.
   */
  ensure(descriptor: StreamDescriptor): StreamEntry {
    let entry = this.#streams.get(descriptor.id);
    if (entry === undefined) {
      entry = { id: descriptor.id, url: null, corruption: undefined, regions: undefined, update: { state: 'starting' }, stats: new RollingStats() };
      this.#streams.set(descriptor.id, entry);
      this.#removed.delete(descriptor.id);
    }
    if (descriptor.url !== undefined) entry.url = redactUrl(descriptor.url);
    if (descriptor.corruption !== undefined) entry.corruption = descriptor.corruption;
    if (descriptor.regions !== undefined) entry.regions = [...descriptor.regions];
    return entry;
  }

  regions(id: string): Region[] | undefined {
    return this.#streams.get(id)?.regions;
  }

  /**
   * Records a stream's regions (undefined: it takes none); the streams of regions it no longer has
   * are forgotten. Returns their ids.
   */
  setRegions(id: string, regions: readonly Region[] | undefined): string[] {
    const entry = this.#streams.get(id);
    if (entry === undefined) return [];
    const kept = new Set((regions ?? []).map((r) => r.id));
    const gone = (entry.regions ?? []).filter((r) => !kept.has(r.id)).map((r) => regionStreamId(id, r.id));
    entry.regions = regions === undefined ? undefined : [...regions];
    for (const streamId of gone) this.#forget(streamId);
    // A region added again is expected again: its streams register on first mention.
    for (const regionId of kept) this.#removed.delete(regionStreamId(id, regionId));
    return gone;
  }

  /** The region this id names, when it names one of a known stream's regions. */
  regionOf(id: string): { parent: string; region: string } | undefined {
    const split = splitRegionStreamId(id);
    if (split === undefined) return undefined;
    const found = this.#streams.get(split.streamId)?.regions?.some((r) => r.id === split.regionId);
    return found ? { parent: split.streamId, region: split.regionId } : undefined;
  }

  /** Removed (a stream, or a region's stream with its region) and not registered again since. */
  wasRemoved(id: string): boolean {
    return this.#removed.has(id);
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

  /** Forgets a stream, and its regions' streams with it; what still comes of them is `wasRemoved`. */
  remove(id: string): boolean {
    this.setRegions(id, undefined);
    return this.#forget(id);
  }

  #forget(id: string): boolean {
    this.#removed.delete(id); // re-inserted: newest last
    this.#removed.add(id);
    if (this.#removed.size > REMEMBERED_REMOVALS) this.#removed.delete(this.#removed.values().next().value!);
    const known = this.#streams.delete(id);
    this.#onForget?.(id);
    return known;
  }

  /** Records a state change; returns the previous state (undefined for a new stream). */
  setState(id: string, update: StreamStateUpdate): StreamState | undefined {
    const existed = this.#streams.get(id);
    const previous = existed?.update.state;
    this.ensure({ id }).update = { ...update };
    return previous;
  }

  /** A stream's statistics, registering it if it is new; a removed one's are counted nowhere. */
  stats(id: string): RollingStats {
    return this.#removed.has(id) ? new RollingStats() : this.ensure({ id }).stats;
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
      ...(e.regions === undefined ? {} : { regions: e.regions }),
      ...this.regionOf(e.id),
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
