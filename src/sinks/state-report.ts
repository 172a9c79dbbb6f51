/**
 * A source's state as the MQTT state topic and a webhook's state post say it, and which state
 * events count as changes worth telling: `starting` only for the first start (a restart attempt
 * inside an outage is part of `reconnecting`), and `reconnecting` once per outage however many
 * attempts it takes. URLs in messages are redacted, as on the dashboard.
 */
import { streamStateUpdate, type StreamStateEvent, type StreamStateUpdate } from '../server/index.js';
import { redactUrlsInText } from '../server/redact.js';

export type StateReport = { stream: string; at: string } & StreamStateUpdate;

export function stateReport(event: StreamStateEvent): StateReport {
  const update = streamStateUpdate(event);
  return {
    stream: event.sourceId,
    ...update,
    ...(update.message === undefined ? {} : { message: redactUrlsInText(update.message) }),
    at: new Date(event.at).toISOString(),
  };
}

/** Remembers each stream's last told state; `isChange` says whether an event is news. */
export class StateChanges {
  readonly #last = new Map<string, StreamStateEvent['state']>();

  isChange(event: StreamStateEvent): boolean {
    const last = this.#last.get(event.sourceId);
    if (event.state === 'starting' && event.attempt > 0) return false;
    if (event.state === last && event.state !== 'error') return false;
    this.#last.set(event.sourceId, event.state);
    return true;
  }

  /** The stream's last told state, if any. */
  last(streamId: string): StreamStateEvent['state'] | undefined {
    return this.#last.get(streamId);
  }
}
