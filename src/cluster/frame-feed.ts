/**
 * A worker's pull loop on one of the shared consumers (live or replay): it keeps at most `window`
 * frames pulled and not yet released by the flow (live: see `whenIdle`), asks the broker for the difference, decodes each
 * frame's JPEG back to pixels and hands it on (BrokerStreams routes it to its stream's source).
 * Several workers pulling from one durable consumer share the load: each message goes to one.
 *
 * Replayed frames are acked by the result sink once their result is stored, never here. While one
 * is in the worker its ack deadline is pushed back (`working()`), so a slow batch is not redelivered;
 * a frame the flow released without a result (its batch failed) is nak'ed for another try at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../log/logger.js';
import { decodeJpeg } from '../server/jpeg.js';
import type { Frame } from '../stream/frame.js';
import { decodeFrame, type FrameOrigin } from './codec.js';
import type { BrokerConnection } from './connection.js';

/** One pulled frame's way back to the broker. */
export class FrameDelivery {
  readonly origin: FrameOrigin;
  /** The ingest's JPEG, passed on unchanged in the result. */
  readonly jpeg: Uint8Array;
  readonly replay: boolean;
  readonly #msg: JsMsg;
  readonly #onSettle: (delivery: FrameDelivery) => void;
  /** The result sink took the frame (its result is on its way). */
  claimed = false;
  #settled = false;

  constructor(msg: JsMsg, origin: FrameOrigin, jpeg: Uint8Array, onSettle: (delivery: FrameDelivery) => void) {
    this.#msg = msg;
    this.origin = origin;
    this.jpeg = jpeg;
    this.replay = origin.job !== undefined;
    this.#onSettle = onSettle;
  }

  get settled(): boolean {
    return this.#settled;
  }

  /** The result is stored: the broker may forget the frame. */
  ack(): void {
    this.#settle(() => this.#msg.ack());
  }

  /** No result this time: deliver it again (to any worker). */
  nak(): void {
    this.#settle(() => this.#msg.nak());
  }

  /** Still on it: push the ack deadline back. */
  touch(): void {
    if (!this.#settled) this.#msg.working();
  }

  #settle(say: () => void): void {
    if (this.#settled) return;
    this.#settled = true;
    // Live frames are never acked (AckNone); a replayed one whose ack is lost is redelivered and de-duplicated.
    if (this.replay) say();
    this.#onSettle(this);
  }
}

export interface FrameFeedOptions {
  broker: BrokerConnection;
  stream: string;
  consumer: string;
  /** Frames pulled and not yet released by the flow, at most. */
  window: number;
  /**
   * Live: pull only once every frame pulled before is released, and only as many as wait on the
   * broker now (at least one). An open pull catches every frame published while it is open, so
   * a busy worker must hold none: the frames stay on the broker, newest only, for whichever worker
   * is free, and a worker never holds more than the batch it runs next.
   */
  whenIdle?: boolean;
  /** Where pulled frames are remembered for the result sink. */
  deliveries: WeakMap<Frame, FrameDelivery>;
  /** Hands a decoded frame on; `release` must be called once the flow is done with it. */
  deliver(frame: Frame, release: () => void): void;
  /** Replay: how often in-flight frames push their ack deadline back (a third of ack_wait). */
  touchEveryMs?: number;
  log: Logger;
}

/** A pull waits this long for frames before it is renewed (the client's minimum is 1 s). */
const FETCH_EXPIRES_MS = 2000;
/** Pulls open at once; each asks for part of the window as it frees up. */
const MAX_OPEN_FETCHES = 4;
const RETRY_MS = 500;

export class FrameFeed {
  readonly #options: FrameFeedOptions;
  readonly #unacked = new Set<FrameDelivery>();
  #inFlight = 0;
  #requested = 0;
  #openFetches = 0;
  #stopped = false;
  #wake: () => void = () => {};
  #touchTimer: NodeJS.Timeout | undefined;
  #received = 0;
  #failures = 0;
  #consumer: Consumer | undefined;
  /** Pulls now open, and the way to abandon the requests of a connection that is gone. */
  readonly #open = new Set<ConsumerMessages>();
  #abandon: (error: Error) => void = () => {};
  #abandoned = this.#nextAbandon();
  readonly #offChange: () => void;
  readonly #loop: Promise<void>;

  constructor(options: FrameFeedOptions) {
    this.#options = options;
    // Pulls asked for while the broker is away only time out: wait for it, and pull at once when it is
    // back. What was asked of the old connection is abandoned then: the new server knows nothing of
    // those pull requests, and a request sent into the gap waits out its whole timeout.
    this.#offChange = options.broker.onChange((connected) => {
      if (connected) {
        this.#abandon(new Error('the connection was re-established'));
        this.#abandoned = this.#nextAbandon();
        for (const messages of this.#open) void messages.close();
      }
      this.#wake();
    });
    if (options.touchEveryMs !== undefined) {
      this.#touchTimer = setInterval(() => this.#unacked.forEach((d) => d.touch()), options.touchEveryMs).unref();
    }
    this.#loop = this.#run();
  }

  get received(): number {
    return this.#received;
  }

  /** Stops pulling; frames in the worker are nak'ed by nobody: their ack deadline passes and another worker gets them. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#offChange();
    clearInterval(this.#touchTimer);
    this.#wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const room = this.#options.window - this.#inFlight - this.#requested;
      const busy = this.#options.whenIdle === true && (this.#inFlight > 0 || this.#openFetches > 0);
      if (busy || room < 1 || this.#openFetches >= MAX_OPEN_FETCHES || !this.#options.broker.connected) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      void this.#fetch(room);
    }
  }

  async #fetch(room: number): Promise<void> {
    const { broker, stream, consumer, log, whenIdle } = this.#options;
    this.#openFetches++;
    let count = 0;
    let got = 0;
    try {
      this.#consumer ??= await this.#untilReconnect(broker.js.consumers.get(stream, consumer));
      count = whenIdle ? Math.max(1, Math.min(room, (await this.#untilReconnect(this.#consumer.info(false))).num_pending)) : room;
      this.#requested += count;
      const messages = await this.#untilReconnect(this.#consumer.fetch({ max_messages: count, expires: FETCH_EXPIRES_MS }));
      this.#open.add(messages);
      void messages.closed().then(() => this.#open.delete(messages));
      for await (const msg of messages) {
        got++;
        this.#requested--;
        if (this.#stopped) break;
        await this.#take(msg);
      }
      this.#failures = 0;
    } catch (error) {
      // Broker away, or the consumer not (re)created yet after a broker restart: try again shortly.
      this.#consumer = undefined;
      if (this.#failures++ % 20 === 0) log.debug(`broker: pulling from ${stream}/${consumer} failed; retrying`, { error: (error as Error).message });
      if (!this.#stopped) await sleep(RETRY_MS);
    } finally {
      this.#requested -= count - got;
      this.#openFetches--;
      this.#wake();
    }
  }

  /** `request`, or a rejection as soon as the connection is re-established (its answer would never come). */
  #untilReconnect<T>(request: Promise<T>): Promise<T> {
    request.catch(() => {}); // abandoned: its own timeout later is of no interest
    return Promise.race([request, this.#abandoned]);
  }

  #nextAbandon(): Promise<never> {
    const abandoned = new Promise<never>((_, reject) => (this.#abandon = reject));
    abandoned.catch(() => {});
    return abandoned;
  }

  async #take(msg: JsMsg): Promise<void> {
    const { deliveries, deliver, log } = this.#options;
    this.#received++;
    let frame: Frame;
    let delivery: FrameDelivery;
    try {
      const decoded = decodeFrame(msg.data);
      const pixels = await decodeJpeg(decoded.jpeg);
      if (pixels.width !== decoded.frame.width || pixels.height !== decoded.frame.height) {
        throw new Error(`JPEG is ${pixels.width}x${pixels.height}, header says ${decoded.frame.width}x${decoded.frame.height}`);
      }
      frame = { ...decoded.frame, data: pixels.data };
      delivery = new FrameDelivery(msg, decoded.origin, decoded.jpeg, (d) => this.#unacked.delete(d));
    } catch (error) {
      // No worker will ever decode it: take it out of the queue (term), do not let it bounce.
      log.error('broker: a frame message could not be decoded; dropped', { subject: msg.subject, error: (error as Error).message });
      msg.term();
      return;
    }
    if (delivery.replay) this.#unacked.add(delivery);
    deliveries.set(frame, delivery);
    this.#inFlight++;
    let released = false;
    deliver(frame, () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      // Released without a result: its batch failed. Another try, rather than waiting out ack_wait.
      if (!delivery.claimed) delivery.nak();
      this.#wake();
    });
  }
}
