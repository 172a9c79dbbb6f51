/**
 * A stream's end, told to the sinks once its results have stopped coming. The ingest says
 * `ended` when its source stops reading, but results travel apart from the board: a replayed
 * file's last frames may still wait on the broker for the workers (up to the replay queue's
 * size), and a live stream's last batch is on its way. Told at once, the end would come before
 * them, and they would start a new label episode of a stream that is over.
 *
 *   const ends = new SettledEnds(quietMs, (event) => outputs.state(event));
 *   ends.state(event);        // an end waits; any other state first tells a waiting end
 *   ends.result(streamId);    // a result came: the stream's end waits on
 */
import type { StreamStateEvent } from '../server/stream-state.js';

export class SettledEnds {
  readonly #quietMs: number;
  readonly #tell: (event: StreamStateEvent) => void;
  readonly #waiting = new Map<string, { event: StreamStateEvent; timer: NodeJS.Timeout }>();

  constructor(quietMs: number, tell: (event: StreamStateEvent) => void) {
    this.#quietMs = quietMs;
    this.#tell = tell;
  }

  state(event: StreamStateEvent): void {
    // The stream runs again (or failed after all): what ended before is told first.
    this.#flush(event.sourceId);
    if (event.state === 'ended' || event.state === 'error') this.#wait(event);
    else this.#tell(event);
  }

  result(streamId: string): void {
    const waiting = this.#waiting.get(streamId);
    if (waiting) waiting.timer.refresh();
  }

  /** Tells every waiting end now (the role stops). */
  close(): void {
    for (const streamId of [...this.#waiting.keys()]) this.#flush(streamId);
  }

  #wait(event: StreamStateEvent): void {
    const timer = setTimeout(() => this.#flush(event.sourceId), this.#quietMs);
    timer.unref();
    this.#waiting.set(event.sourceId, { event, timer });
  }

  #flush(streamId: string): void {
    const waiting = this.#waiting.get(streamId);
    if (waiting === undefined) return;
    clearTimeout(waiting.timer);
    this.#waiting.delete(streamId);
    this.#tell(waiting.event);
  }
}
