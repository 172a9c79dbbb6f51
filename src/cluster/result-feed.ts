/**
 * The gateway's input: every result on the broker (live and replayed, core subscription: every
 * gateway sees all of them), decoded, and handed on in seq order per stream (ResultOrder: live
 * streams only move forward, their gaps counted as drops; replayed ones are put back in order).
 * A result that cannot be decoded is logged and skipped.
 */
import type { Logger } from '../log/logger.js';
import { decodeResult, type DecodedResult } from './codec.js';
import type { BrokerConnection } from './connection.js';
import { ResultOrder } from './result-order.js';
import { SUBJECTS } from './subjects.js';

export interface ResultFeedHandlers {
  /** A result to show, in seq order per stream. */
  result(result: DecodedResult): void;
  /** `count` frames of a stream will never be shown. */
  dropped(streamId: string, count: number): void;
}

export interface ResultFeed {
  /** The stream is gone: its order is forgotten. */
  forget(streamId: string): void;
  unsubscribe(): void;
}

/**
 * How long a replayed frame's result may be missing while later ones wait: longer than workers
 * take to overtake each other (a batch or two), shorter than a dead worker's ack_wait.
 */
const REPLAY_GAP_WAIT_MS = 2000;

/** A stream's end is told this long after its last result: longer than a gap is waited for, whose end hands on what waited. */
export const END_QUIET_MS = REPLAY_GAP_WAIT_MS + 500;

/** `maxWaiting`: replayed results held behind a missing one; the replay consumer's max_ack_pending bounds how far ahead workers get. */
export function subscribeResults(broker: BrokerConnection, handlers: ResultFeedHandlers, log: Logger, { maxWaiting }: { maxWaiting: number }): ResultFeed {
  const order = new ResultOrder({ deliver: handlers.result, dropped: handlers.dropped, gapWaitMs: REPLAY_GAP_WAIT_MS, maxWaiting });
  let malformed = 0;
  const subscription = broker.nc.subscribe(SUBJECTS.allResults, {
    callback: (error, msg) => {
      if (error) return;
      let result: DecodedResult;
      try {
        result = decodeResult(msg.data);
      } catch (cause) {
        if (malformed++ % 100 === 0) log.warn('broker: a result could not be decoded; skipped', { subject: msg.subject, error: (cause as Error).message });
        return;
      }
      order.push(result);
    },
  });
  return {
    forget: (streamId) => order.forget(streamId),
    unsubscribe: () => {
      subscription.unsubscribe();
      order.close();
    },
  };
}
