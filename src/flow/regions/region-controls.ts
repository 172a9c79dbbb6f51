/**
 * The regions of every stream of one flow, by stream id: what a role's `setRegions` handler
 * (the `set-regions` ws message) talks to.
 */
import { splitRegionStreamId, type Region } from '../../config/regions.js';
import type { Frame } from '../../stream/index.js';
import type { FlowSource } from '../frame-flow.js';
import { RegionsRefusedError, StreamRegions, type RegionHost } from './stream-regions.js';

/** A stream that may have regions: ConfiguredStream is one. */
export interface RegionParent {
  source: FlowSource;
  /** Applied to the region frames: the parent's test-feed corruption (not the parent's own transform: see ConfiguredStream). */
  regionTransform?: (frame: Frame) => Frame | Promise<Frame>;
  /** The configured regions, set when attached. */
  regions?: readonly Region[];
}

export class RegionControls {
  readonly #streams = new Map<string, StreamRegions>();

  /** Puts a stream's configured regions into the flow; later `set` calls change them. */
  attach(parent: RegionParent, host: RegionHost): Promise<void> {
    const regions = new StreamRegions(parent.source, host, parent.regionTransform);
    this.#streams.set(parent.source.id, regions);
    return regions.set(parent.regions ?? []);
  }

  /** The stream left the flow (its regions' sources end with it). */
  detach(streamId: string): void {
    this.#streams.delete(streamId);
  }

  regions(streamId: string): readonly Region[] | undefined {
    return this.#streams.get(streamId)?.regions;
  }

  /** @throws RegionsRefusedError: no such stream, a region's stream, a replayed one, an id in use. */
  set(streamId: string, regions: readonly Region[]): Promise<void> {
    const stream = this.#streams.get(streamId);
    if (stream) return stream.set(regions);
    const split = splitRegionStreamId(streamId);
    const parent = split && this.#streams.get(split.streamId);
    const why = parent?.regions.some((r) => r.id === split!.regionId)
      ? `"${streamId}" is a region of "${parent.streamId}": set regions on "${parent.streamId}"`
      : `stream "${streamId}" is not running`;
    return Promise.reject(new RegionsRefusedError(why));
  }
}
