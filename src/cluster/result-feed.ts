/**
 * The gateway's input: every result on the broker (live and replayed, core subscription: every
 * gateway sees all of them), decoded, with live streams kept moving forward and their drops counted
 * (LiveSequence). A result that cannot be decoded is logged and skipped.
 */
import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from '../log/logger.js';
import { decodeResult, type DecodedResult } from './codec.js';
import type { BrokerConnection } from './connection.js';
import { LiveSequence } from './live-sequence.js';
import { SUBJECTS } from './subjects.js';

export interface ResultFeedHandlers {
  /** A result to show. */
  result(result: DecodedResult): void;
  /** `count` frames of a live stream will never be shown. */
  dropped(streamId: string, count: number): void;
}

export function subscribeResults(broker: BrokerConnection, handlers: ResultFeedHandlers, log: Logger): Subscription {
  const live = new LiveSequence();
  let malformed = 0;
  return broker.nc.subscribe(SUBJECTS.allResults, {
    callback: (error, msg) => {
      if (error) return;
      let result: DecodedResult;
      try {
        result = decodeResult(msg.data);
      } catch (cause) {
        if (malformed++ % 100 === 0) log.warn('broker: a result could not be decoded; skipped', { subject: msg.subject, error: (cause as Error).message });
        return;
      }
      if (result.origin.job === undefined) {
        const { show, dropped } = live.observe(result.frame.streamId, result.origin.ingest, result.frame.seq);
        if (dropped > 0) handlers.dropped(result.frame.streamId, dropped);
        if (!show) return;
      }
      handlers.result(result);
    },
  });
}
