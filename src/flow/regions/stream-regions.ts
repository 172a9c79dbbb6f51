/**
 * One live stream's regions in a running flow: `set` replaces the list, adding a RegionSource for
 * each new region, moving the ones that stay (same id, same stream, smoothing reset) and removing
 * the others. Changes are applied one at a time, in the order asked.
 */
import { regionStreamId, type Region } from '../../config/regions.js';
import type { Frame } from '../../stream/index.js';
import type { FlowSource, FlowStream } from '../frame-flow.js';
import { RegionSource } from './region-source.js';

/** What regions need of the flow (FrameFlow is one). */
export interface RegionHost {
  add(stream: FlowStream): void;
  remove(streamId: string): Promise<void>;
  readonly streamIds: readonly string[];
}

/** The pipeline refused a region change (the caller's input is fine; this stream cannot take it). */
export class RegionsRefusedError extends Error {
  readonly code = 'REGIONS_REFUSED';

  constructor(message: string) {
    super(message);
    this.name = 'RegionsRefusedError';
  }
}

export class StreamRegions {
  readonly #parent: FlowSource;
  readonly #host: RegionHost;
  readonly #transform: ((frame: Frame) => Frame | Promise<Frame>) | undefined;
  /** The running region sources, by region id. */
  readonly #sources = new Map<string, RegionSource>();
  #regions: Region[] = [];
  #queue: Promise<void> = Promise.resolve();

  /** `transform`: applied to each region frame that will be processed (the parent's corruption). */
  constructor(parent: FlowSource, host: RegionHost, transform?: (frame: Frame) => Frame | Promise<Frame>) {
    this.#parent = parent;
    this.#host = host;
    this.#transform = transform;
  }

  get streamId(): string {
    return this.#parent.id;
  }

  /** The regions in effect, in the order they were given. */
  get regions(): readonly Region[] {
    return this.#regions;
  }

  /**
   * Replaces the regions (already validated: regionListSchema); resolves once removed ones have
   * stopped and new ones run. @throws RegionsRefusedError, changing nothing.
   */
  set(regions: readonly Region[]): Promise<void> {
    const applied = this.#queue.then(() => this.#apply(regions));
    this.#queue = applied.catch(() => {});
    return applied;
  }

  async #apply(regions: readonly Region[]): Promise<void> {
    if (this.#parent.mode !== 'live' && regions.length > 0) {
      throw new RegionsRefusedError(`stream "${this.#parent.id}" is replayed: regions need a live source`);
    }
    for (const region of regions) {
      const id = regionStreamId(this.#parent.id, region.id);
      if (this.#sources.has(region.id) || !this.#host.streamIds.includes(id)) continue;
      // Another stream has the id, or a region removed a moment ago is still handing over its last frame.
      throw new RegionsRefusedError(`stream "${id}" is already running: choose another region id (or try again in a moment)`);
    }
    const wanted = new Set(regions.map((r) => r.id));
    const removed = [...this.#sources.values()].filter((source) => !wanted.has(source.region.id));
    for (const source of removed) this.#sources.delete(source.region.id);
    await Promise.all(removed.map((source) => this.#host.remove(source.id)));
    for (const region of regions) {
      const running = this.#sources.get(region.id);
      if (running) {
        running.setRegion(region);
        continue;
      }
      const source = new RegionSource(this.#parent, region);
      this.#host.add(this.#transform ? { source, transform: this.#transform } : { source });
      this.#sources.set(region.id, source);
    }
    this.#regions = [...regions];
  }
}
