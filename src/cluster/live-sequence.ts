/**
 * Drops of live streams, counted where all of a stream's results meet (the gateway), from gaps in
 * `seq` (the source numbers every frame it reads, dropped ones too). A gap is a frame that never
 * made it: skipped by the ingest while it encoded the previous one, replaced on the broker before
 * any worker took it, or overtaken by a newer result from a faster worker (which is then not shown
 * either: a live dashboard only moves forward). A new ingest instance restarts the count.
 */
export interface Observed {
  /** Newer than anything shown of its stream: show it. */
  show: boolean;
  /** Frames of the stream that will never be shown, newly known. */
  dropped: number;
}

export class LiveSequence {
  readonly #streams = new Map<string, { ingest: string; highest: number }>();

  observe(streamId: string, ingest: string, seq: number): Observed {
    const known = this.#streams.get(streamId);
    if (known === undefined || known.ingest !== ingest) {
      // First sight (or the ingest restarted, seq from 0 again): nothing before it is ours to count.
      this.#streams.set(streamId, { ingest, highest: seq });
      return { show: true, dropped: 0 };
    }
    if (seq <= known.highest) return { show: false, dropped: 0 };
    const dropped = seq - known.highest - 1;
    known.highest = seq;
    return { show: true, dropped };
  }

  forget(streamId: string): void {
    this.#streams.delete(streamId);
  }
}
