/**
 * One region of a live source as a source of its own: the parent's frames (its ffmpeg decodes once
 * for the full frame and every region), each cut to the region, under the region's stream id. The
 * flow gives it what it gives any live stream: its own newest-only gate, motion gate, smoothing
 * and sink outputs. Its states are its parent's, under its own id.
 */
import { map, Subject, takeUntil, type Observable } from 'rxjs';
import { regionStreamId, type Region } from '../../config/regions.js';
import type { Frame, SourceStateEvent } from '../../stream/index.js';
import type { FlowSource } from '../frame-flow.js';
import { cropFrame } from './crop.js';

export class RegionSource implements FlowSource {
  readonly id: string;
  readonly mode = 'live' as const;
  readonly frames$: Observable<Frame>;
  readonly states$: Observable<SourceStateEvent>;
  readonly #stop$ = new Subject<void>();
  #region: Region;
  /** The rectangle changed: the next frame is not continuous with the last (smoothing, motion gating start afresh). */
  #moved = false;

  /** @throws for a replayed parent: it would wait for releases that only its own frames give. */
  constructor(parent: FlowSource, region: Region) {
    if (parent.mode !== 'live') throw new Error(`stream "${parent.id}" is replayed: regions need a live source`);
    this.id = regionStreamId(parent.id, region.id);
    this.#region = region;
    this.frames$ = parent.frames$.pipe(takeUntil(this.#stop$), map((frame) => this.#crop(frame)));
    this.states$ = parent.states$.pipe(takeUntil(this.#stop$), map((event) => ({ ...event, sourceId: this.id })));
  }

  get region(): Region {
    return this.#region;
  }

  /** Moves or resizes the region (same id): the stream goes on from the next frame. */
  setRegion(region: Region): void {
    if (region.id !== this.#region.id) throw new Error(`region "${this.#region.id}" cannot become "${region.id}"`);
    if (region.x === this.#region.x && region.y === this.#region.y && region.width === this.#region.width && region.height === this.#region.height) return;
    this.#region = region;
    this.#moved = true;
  }

  /** The parent's ffmpeg feeds it: the parent's stream starts it. */
  start(): void {}

  /** Live: nothing is held back. */
  release(): void {}

  /** Ends its frames and states; the parent runs on. */
  async stop(): Promise<void> {
    this.#stop$.next();
    this.#stop$.complete();
  }

  #crop(frame: Frame): Frame {
    // Cut as the frame arrives, before the gates: the motion gate compares the region's own pixels.
    const cut = cropFrame(frame, this.id, this.#region);
    if (!this.#moved) return cut;
    this.#moved = false;
    return { ...cut, discontinuity: true };
  }
}
