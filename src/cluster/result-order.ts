/**
 * The results of each stream in seq order, where the results of every worker meet (the gateway):
 * what label smoothing and the sinks after it need, since workers take a stream's frames in any
 * order and answer at their own pace.
 *
 * - Live: forward only (LiveSequence). A result overtaken by a newer one of its stream is not
 *   handed on, and gaps in seq are drops: nothing waits for a live frame.
 * - Replayed: every frame's result is on its way, perhaps from a slower worker. Results that come
 *   early wait and are handed on in seq order; a missing one is waited for at most `gapWaitMs`
 *   (and while at most `maxWaiting` results wait behind it), then skipped and counted as dropped:
 *   a frame whose worker died comes back only after ack_wait, too late to show. (`run --nats`
 *   loses nothing: its ReplayCollector waits for every frame.)
 *
 *   const order = new ResultOrder({ deliver, dropped, gapWaitMs: 2000, maxWaiting: 256 });
 *   order.push(decodeResult(msg.data));
 */
import type { DecodedResult } from './codec.js';
import { LiveSequence } from './live-sequence.js';

export interface ResultOrderOptions {
  /** A result, in seq order per stream. */
  deliver(result: DecodedResult): void;
  /** `count` frames of a stream will never be delivered. */
  dropped(streamId: string, count: number): void;
  gapWaitMs: number;
  maxWaiting: number;
}

/** One replayed stream of one job: the next seq to hand on and the results that came before it. */
interface ReplayOrder {
  streamId: string;
  next: number;
  waiting: Map<number, DecodedResult>;
  /** Nothing handed on yet: what came before the first result seen is not ours to count. */
  started: boolean;
  gapTimer: NodeJS.Timeout | undefined;
}

export class ResultOrder {
  readonly #options: ResultOrderOptions;
  readonly #live = new LiveSequence();
  /** By job and stream id. */
  readonly #replays = new Map<string, ReplayOrder>();

  constructor(options: ResultOrderOptions) {
    this.#options = options;
  }

  push(result: DecodedResult): void {
    const { job, ingest } = result.origin;
    const { streamId, seq } = result.frame;
    if (job === undefined) {
      const { show, dropped } = this.#live.observe(streamId, ingest, seq);
      if (dropped > 0) this.#options.dropped(streamId, dropped);
      if (show) this.#options.deliver(result);
      return;
    }
    const order = this.#replayOf(job, streamId);
    // Late (skipped already) or a repeat (a redelivered frame's second result): not news.
    if (seq < order.next || order.waiting.has(seq)) return;
    order.waiting.set(seq, result);
    this.#advance(order);
  }

  /** The stream is over: its orders go (and their timers). */
  forget(streamId: string): void {
    this.#live.forget(streamId);
    for (const [key, order] of this.#replays) {
      if (order.streamId !== streamId) continue;
      clearTimeout(order.gapTimer);
      this.#replays.delete(key);
    }
  }

  close(): void {
    for (const order of this.#replays.values()) clearTimeout(order.gapTimer);
    this.#replays.clear();
  }

  #replayOf(job: string, streamId: string): ReplayOrder {
    const key = `${job}\n${streamId}`;
    let order = this.#replays.get(key);
    if (order === undefined) {
      order = { streamId, next: 0, waiting: new Map(), started: false, gapTimer: undefined };
      this.#replays.set(key, order);
    }
    return order;
  }

  #advance(order: ReplayOrder): void {
    const before = order.next;
    for (let result = order.waiting.get(order.next); result !== undefined; result = order.waiting.get(order.next)) {
      order.waiting.delete(order.next);
      order.next++;
      order.started = true;
      this.#options.deliver(result);
    }
    if (order.waiting.size > this.#options.maxWaiting) return this.#skipGap(order);
    // The wait for a gap starts when it reaches the head; progress restarts it.
    if (order.next !== before || order.waiting.size === 0) {
      clearTimeout(order.gapTimer);
      order.gapTimer = undefined;
    }
    if (order.waiting.size > 0 && order.gapTimer === undefined) {
      order.gapTimer = setTimeout(() => this.#skipGap(order), this.#options.gapWaitMs);
      order.gapTimer.unref();
    }
  }

  /** Gives up on the frames missing at the head: the first result that waits is next. */
  #skipGap(order: ReplayOrder): void {
    clearTimeout(order.gapTimer);
    order.gapTimer = undefined;
    const lowest = Math.min(...order.waiting.keys());
    if (order.started) this.#options.dropped(order.streamId, lowest - order.next);
    order.next = lowest;
    this.#advance(order);
  }
}
