/**
 * The reading end of a distributed replay (`run --nats`): every result of one job, read back from
 * the RESULTS stream with an ordered consumer (it re-creates itself across reconnects), de-duplicated
 * by (stream, seq) and handed on in seq order per stream, exactly once each. A worker killed after
 * publishing a result but before its ack makes the frame run twice: the second result is dropped
 * here. A frame the broker gave up on (max deliveries; the DEAD_LETTER stream records the advisory)
 * is reported through `dead` and skipped, so the run still ends.
 *
 *   const collector = await ReplayCollector.start({ broker, job, deliver: (r) => sink.frame(r.frame, r.inference), log });
 *   publisher stores frame -> collector.expect(frame.streamId, frame.seq)
 *   source ended -> collector.finish(); await collector.done;
 */
import { DeliverPolicy, type ConsumerMessages } from '@nats-io/jetstream';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import { decodeFrame, decodeResult, type DecodedResult } from './codec.js';
import type { BrokerConnection } from './connection.js';
import { STREAMS, SUBJECTS } from './subjects.js';

export interface ReplayCollectorOptions {
  broker: BrokerConnection;
  job: string;
  deliver(result: DecodedResult): void;
  /** A frame no worker could finish within max_deliver tries. */
  dead?(streamId: string, seq: number): void;
  log: Logger;
}

export interface CollectorCounts {
  written: number;
  /** Results that came more than once (a redelivered frame) and were dropped. */
  duplicates: number;
  dead: number;
}

const advisorySchema = z.object({ stream_seq: z.number() });

/** One stream's frames in the order they were stored, and what has come back of them. */
class StreamOrder {
  readonly expected: number[] = [];
  head = 0;
  readonly arrived = new Map<number, DecodedResult>();
  readonly dead = new Set<number>();
  /** Every seq below this was written or skipped. */
  get frontier(): number {
    return this.head < this.expected.length ? this.expected[this.head]! : (this.expected.at(-1) ?? -1) + 1;
  }
}

export class ReplayCollector {
  readonly #options: ReplayCollectorOptions;
  readonly #streams = new Map<string, StreamOrder>();
  readonly #counts: CollectorCounts = { written: 0, duplicates: 0, dead: 0 };
  readonly #startedAt = new Date();
  #iterators: ConsumerMessages[] = [];
  #finished = false;
  #stopped = false;
  #resolveDone: (counts: CollectorCounts) => void = () => {};
  readonly done: Promise<CollectorCounts>;

  private constructor(options: ReplayCollectorOptions) {
    this.#options = options;
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  static async start(options: ReplayCollectorOptions): Promise<ReplayCollector> {
    const collector = new ReplayCollector(options);
    await collector.#open();
    return collector;
  }

  get counts(): Readonly<CollectorCounts> {
    return this.#counts;
  }

  /** The frame is stored on the broker: its result must come back before the run ends. */
  expect(streamId: string, seq: number): void {
    const order = this.#order(streamId);
    order.expected.push(seq);
    this.#flush(order);
  }

  /** No more frames will be expected: `done` resolves once each expected one is written or dead. */
  finish(): void {
    this.#finished = true;
    this.#checkDone();
  }

  /** Stops reading (the run was interrupted); `done` resolves with what was written. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#iterators.map((it) => it.close()));
    this.#resolveDone(this.#counts);
  }

  async #open(): Promise<void> {
    const { broker, job } = this.#options;
    const results = await broker.js.consumers.get(STREAMS.results, { filter_subjects: SUBJECTS.jobResults(job), deliver_policy: DeliverPolicy.All });
    const advisories = await broker.js.consumers.get(STREAMS.deadLetter, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: this.#startedAt.toISOString() });
    const [resultMessages, advisoryMessages] = await Promise.all([results.consume(), advisories.consume()]);
    this.#iterators = [resultMessages, advisoryMessages];
    void this.#read(resultMessages, (data) => this.#onResult(data));
    void this.#read(advisoryMessages, (data) => this.#onAdvisory(data));
  }

  async #read(messages: ConsumerMessages, handle: (data: Uint8Array) => void | Promise<void>): Promise<void> {
    try {
      for await (const msg of messages) await handle(msg.data);
    } catch (error) {
      if (!this.#stopped) this.#options.log.error('broker: reading replay results failed', { error: (error as Error).message });
    }
  }

  #onResult(data: Uint8Array): void {
    let result: DecodedResult;
    try {
      result = decodeResult(data);
    } catch (error) {
      this.#options.log.warn('broker: a result could not be decoded; skipped', { error: (error as Error).message });
      return;
    }
    const { streamId, seq } = result.frame;
    const order = this.#order(streamId);
    if (seq < order.frontier || order.arrived.has(seq)) {
      this.#counts.duplicates++;
      return;
    }
    order.arrived.set(seq, result);
    this.#flush(order);
  }

  /** A frame ran out of deliveries: if it is this job's, skip it (and take it off the work queue). */
  async #onAdvisory(data: Uint8Array): Promise<void> {
    const { broker, job, log, dead } = this.#options;
    try {
      const { stream_seq } = advisorySchema.parse(JSON.parse(Buffer.from(data).toString('utf8')));
      const stored = await broker.jsm.streams.getMessage(STREAMS.replay, { seq: stream_seq });
      if (stored === null) return;
      const { frame, origin } = decodeFrame(stored.data);
      if (origin.job !== job) return;
      await broker.jsm.streams.deleteMessage(STREAMS.replay, stream_seq).catch(() => false);
      const order = this.#order(frame.streamId);
      if (frame.seq < order.frontier || order.dead.has(frame.seq)) return;
      log.error(`frame ${frame.streamId}#${frame.seq} was given up after the broker's max deliveries; it gets no line`);
      order.dead.add(frame.seq);
      this.#counts.dead++;
      dead?.(frame.streamId, frame.seq);
      this.#flush(order);
    } catch (error) {
      log.debug('broker: a dead-letter advisory could not be read', { error: (error as Error).message });
    }
  }

  #order(streamId: string): StreamOrder {
    let order = this.#streams.get(streamId);
    if (order === undefined) {
      order = new StreamOrder();
      this.#streams.set(streamId, order);
    }
    return order;
  }

  #flush(order: StreamOrder): void {
    while (order.head < order.expected.length) {
      const seq = order.expected[order.head]!;
      const result = order.arrived.get(seq);
      if (result !== undefined) {
        order.arrived.delete(seq);
        this.#counts.written++;
        this.#options.deliver(result);
      } else if (order.dead.delete(seq)) {
        // skipped: reported when it was given up
      } else {
        break;
      }
      order.head++;
    }
    // Keep the list short on long runs: what is behind the head is done (the last one stays: the frontier).
    if (order.head > 1024) {
      order.expected.splice(0, order.head - 1);
      order.head = 1;
    }
    this.#checkDone();
  }

  #checkDone(): void {
    if (!this.#finished) return;
    for (const order of this.#streams.values()) if (order.head < order.expected.length) return;
    this.#resolveDone(this.#counts);
  }
}
