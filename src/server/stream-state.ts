/**
 * What the server tells clients about a source (`state` and `hello` messages), from the stream
 * layer's events. Errors carry their stable `code` so that a program can tell an unreadable file
 * from a camera that stopped answering without parsing the message.
 */
import { SourceError, type SourceStateEvent } from '../stream/index.js';
import type { StreamStateUpdate } from './types.js';

/** A source that could not be opened: which, why (its stable code) and the error. */
export interface FailedSource {
  sourceId: string;
  code: string;
  error: Error;
}

/**
 * A stream's state as the outputs hear it: its source's own events, or a failure told without a
 * SourceError: a source that could not be opened (a bad corruption spec has a code of its own),
 * or a state read from the broker, whose source runs in another process.
 */
export type StreamStateEvent = SourceStateEvent | { state: 'error'; sourceId: string; error: { code: string; message: string }; at: number };

export function streamStateUpdate(event: StreamStateEvent): StreamStateUpdate {
  switch (event.state) {
    case 'reconnecting':
      return { state: 'reconnecting', attempt: event.attempt, message: event.reason };
    case 'error':
      return { state: 'error', code: event.error.code, message: event.error.message };
    default:
      return { state: event.state };
  }
}

/** A source that could not even be opened is shown as failed, with its problem and its name. */
export function failedSourceUpdate({ sourceId, code, error }: FailedSource): StreamStateUpdate {
  const named = error instanceof SourceError ? error.message : `source "${sourceId}": ${error.message}`;
  return { state: 'error', code, message: named };
}

/** The same failure as an event for every output (the dashboard, MQTT, webhooks...). */
export function failedSourceEvent(failure: FailedSource): StreamStateEvent {
  const { code, message } = failedSourceUpdate(failure);
  return { state: 'error', sourceId: failure.sourceId, error: { code: code!, message: message! }, at: Date.now() };
}
