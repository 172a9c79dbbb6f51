/**
 * The worker's output: every processed frame's result onto the broker, the same FrameSink as any
 * other output of the flow. Live results go out on core NATS (gateways listening now get them; a
 * result nobody hears is worth nothing later). Replayed results are stored (the RESULTS stream)
 * and only then is the frame acked: a worker that dies between the two leaves an unacked frame,
 * which the broker redelivers; the run de-duplicates by (stream, seq).
 * frame() returns at once; at most `maxPending` results are being encoded and published at a time
 * (beyond that a live result is dropped and a replayed frame nak'ed, both counted).
 */
import { greyThumbnail } from '../image/index.js';
import type { Logger } from '../log/logger.js';
import type { FrameInference } from '../model/types.js';
import { editedJpegQuality, encodeJpeg } from '../server/index.js';
import type { FrameSink } from '../sinks/types.js';
import type { Frame } from '../stream/frame.js';
import { encodeResult } from './codec.js';
import type { BrokerConnection } from './connection.js';
import type { FrameDelivery } from './frame-feed.js';
import { SUBJECTS } from './subjects.js';

export interface ResultSinkOptions {
  broker: BrokerConnection;
  deliveries: WeakMap<Frame, FrameDelivery>;
  /** This worker's id, stamped on each result. */
  worker: string;
  jpegQuality: number;
  log: Logger;
  maxPending?: number;
}

export interface ResultSinkStats {
  published: number;
  /** Results not published (broker away, queue full, publish failed); replayed ones go back to the queue. */
  failed: number;
}

const DEFAULT_MAX_PENDING = 256;
const PUBLISH_TIMEOUT_MS = 5000;

export class BrokerResultSink implements FrameSink {
  readonly name = 'broker';
  readonly #options: ResultSinkOptions;
  readonly #pending = new Set<Promise<void>>();
  readonly #stats: ResultSinkStats = { published: 0, failed: 0 };

  constructor(options: ResultSinkOptions) {
    this.#options = options;
  }

  get stats(): Readonly<ResultSinkStats> {
    return this.#stats;
  }

  frame(frame: Frame, inference: FrameInference): void {
    const delivery = this.#options.deliveries.get(frame);
    // Not from the broker (nothing else feeds a worker's flow), or already settled: nothing to answer.
    if (delivery === undefined || delivery.settled) return;
    delivery.claimed = true;
    if (this.#pending.size >= (this.#options.maxPending ?? DEFAULT_MAX_PENDING)) return this.#failed(delivery);
    const publishing = this.#publish(frame, inference, delivery).finally(() => this.#pending.delete(publishing));
    this.#pending.add(publishing);
  }

  /** Waits for the results on their way (each settles: stored, or sent back for another try). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }

  async #publish(frame: Frame, inference: FrameInference, delivery: FrameDelivery): Promise<void> {
    const { broker, worker, jpegQuality, log } = this.#options;
    try {
      const edited = inference.editedImage === null ? null : await encodeJpeg(inference.editedImage, editedJpegQuality(jpegQuality));
      // Taken here, where the pixels are: the gateway's label smoothing sees scene cuts by it.
      const thumbnail = frame.data.byteLength > 0 ? greyThumbnail(frame) : undefined;
      const payload = encodeResult(frame, delivery.origin, worker, inference, { source: delivery.jpeg, edited }, thumbnail);
      const { job } = delivery.origin;
      if (job === undefined) {
        if (!broker.connected) return this.#failed(delivery);
        broker.nc.publish(SUBJECTS.liveResults(frame.streamId), payload);
      } else {
        // msgID: the same frame's result published twice (redelivered after a lost ack) is stored once.
        await broker.js.publish(SUBJECTS.replayResults(job, frame.streamId), payload, { msgID: `${job}.${frame.streamId}.${frame.seq}`, timeout: PUBLISH_TIMEOUT_MS });
      }
      delivery.ack();
      this.#stats.published++;
    } catch (error) {
      if (this.#stats.failed % 100 === 0) log.warn('broker: a result could not be published', { stream: frame.streamId, seq: frame.seq, error: (error as Error).message });
      this.#failed(delivery);
    }
  }

  #failed(delivery: FrameDelivery): void {
    this.#stats.failed++;
    delivery.nak();
  }
}
