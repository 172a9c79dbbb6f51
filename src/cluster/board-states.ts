/**
 * The ingests' stream states (the KV board) as the events every output hears (StreamStateEvent,
 * what a local source says in `serve`), each told once: the board's watch replays every record
 * when it starts and again after each reconnect.
 */
import type { StreamStateEvent } from '../server/stream-state.js';
import type { StreamStateRecord } from './stream-board.js';

export class BoardStates {
  /** Per stream, the record told last (its ingest, state and time) and its state. */
  readonly #told = new Map<string, { key: string; state: StreamStateEvent['state'] }>();

  /** The record's event, or undefined when this very record was told already. */
  event(record: StreamStateRecord): StreamStateEvent | undefined {
    const key = `${record.ingest}\n${record.state}\n${record.at}`;
    const last = this.#told.get(record.id);
    if (last?.key === key) return undefined;
    this.#told.set(record.id, { key, state: record.state });
    const { id: sourceId, at } = record;
    switch (record.state) {
      case 'starting':
        // The board does not say the attempt: a start after a reconnecting is a restart inside the outage.
        return { state: 'starting', sourceId, attempt: record.attempt ?? (last?.state === 'reconnecting' ? 1 : 0), at };
      case 'running':
        return { state: 'running', sourceId, attempt: record.attempt ?? 0, pid: undefined, at };
      case 'reconnecting':
        return { state: 'reconnecting', sourceId, attempt: record.attempt ?? 1, delayMs: 0, reason: record.message ?? '', stderrTail: [], at };
      case 'ended':
        return { state: 'ended', sourceId, reason: 'stopped', at };
      case 'error':
        return { state: 'error', sourceId, error: { code: record.code ?? 'SOURCE_FAILED', message: record.message ?? '' }, at };
    }
  }

  /** The stream left the board (its ingest stopped it): it ended, unless its end was told already. */
  removed(streamId: string): StreamStateEvent | undefined {
    const last = this.#told.get(streamId);
    this.#told.delete(streamId);
    if (last === undefined || last.state === 'ended') return undefined;
    return { state: 'ended', sourceId: streamId, reason: 'stopped', at: Date.now() };
  }
}
