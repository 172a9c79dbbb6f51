/**
 * The ingest's end of the pipe: one stream's frames, through its transform (test-feed corruption,
 * demo truth), JPEG-encoded at the display size, onto the broker.
 *
 * Why not a FrameSink: a sink receives processed frames from a FrameFlow, which batches for and
 * runs an engine; the ingest has no engine, and batching is the workers' job. What the ingest needs
 * is the part of the flow before the engine, per stream, with the same two semantics:
 *  - live: newest only. While a frame is being encoded and published, later ones replace each
 *    other (the skipped ones show up as seq gaps, counted as drops by the gateway); while the broker
 *    is away nothing is queued for it. Published with core NATS (no round trip per frame): the
 *    LIVE stream keeps only the newest per stream anyway.
 *  - replay: every frame, in order. Each publish waits for the broker's ack; a full replay stream
 *    (or a broker that is away) refuses it and the publisher retries the same frame until it is
 *    stored. Only then is the frame released, so the source's in-flight window pauses ffmpeg:
 *    backpressure from the workers to the file, nothing dropped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import type { FlowStream } from '../flow/frame-flow.js';
import type { Logger } from '../log/logger.js';
import { encodeJpeg } from '../server/jpeg.js';
import type { Frame } from '../stream/frame.js';
import { encodeFrame, type FrameOrigin } from './codec.js';
import type { BrokerConnection } from './connection.js';
import { SUBJECTS } from './subjects.js';
import { apiErrorCode } from './topology.js';

export interface FramePublisherOptions {
  stream: FlowStream;
  broker: BrokerConnection;
  /** This ingest's id; replayed streams also name their job. */
  origin: FrameOrigin;
  jpegQuality: number;
  log: Logger;
  /** Replay: called once a frame is stored on the broker (the run counts what it must wait for). */
  onStored?: (frame: Frame) => void;
}

export interface PublisherStats {
  published: number;
  /** Live frames not published: replaced while the previous one was encoded, or the broker was away. */
  skipped: number;
  /** Replay publishes refused (stream full, broker away) and tried again. */
  retries: number;
}

/** The broker refused a replayed frame because the stream is full: wait for the workers. */
const STREAM_FULL = 10077;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;
const PUBLISH_TIMEOUT_MS = 5000;

export class FramePublisher {
  readonly #options: FramePublisherOptions;
  readonly #subject: string;
  readonly #stats: PublisherStats = { published: 0, skipped: 0, retries: 0 };
  readonly #queue: Frame[] = [];
  readonly #subscription: Subscription;
  #busy = false;
  #ended = false;
  #stopped = false;
  #resolveDone: () => void = () => {};
  /** Resolves once the source has ended and every frame it gave was handled (or stop() was called). */
  readonly done: Promise<void>;

  private constructor(options: FramePublisherOptions) {
    this.#options = options;
    const { source } = options.stream;
    const { job } = options.origin;
    if (source.mode === 'replay' && job === undefined) throw new Error(`replayed stream "${source.id}" needs a job id`);
    this.#subject = source.mode === 'live' ? SUBJECTS.liveFrames(source.id) : SUBJECTS.replayFrames(job!, source.id);
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#subscription = source.frames$.subscribe({
      next: (frame) => this.#accept(frame),
      // A source that gave up is reported through its states; here it has simply ended.
      error: () => this.#end(),
      complete: () => this.#end(),
    });
  }

  /** Subscribes to the stream's frames; start the source afterwards (its frames$ is hot). */
  static start(options: FramePublisherOptions): FramePublisher {
    return new FramePublisher(options);
  }

  get stats(): Readonly<PublisherStats> {
    return this.#stats;
  }

  /** Stops publishing (a replay frame waiting for room is abandoned); does not stop the source. */
  stop(): void {
    this.#stopped = true;
    this.#subscription.unsubscribe();
    this.#queue.length = 0;
    this.#resolveDone();
  }

  #accept(frame: Frame): void {
    if (this.#options.stream.source.mode === 'live' && this.#busy) {
      if (this.#queue.length > 0) this.#stats.skipped++;
      this.#queue[0] = frame;
      return;
    }
    this.#queue.push(frame);
    if (!this.#busy) void this.#drain();
  }

  #end(): void {
    this.#ended = true;
    if (!this.#busy) this.#resolveDone();
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      for (let frame = this.#queue.shift(); frame !== undefined && !this.#stopped; frame = this.#queue.shift()) {
        if (this.#options.stream.source.mode === 'live') await this.#publishLive(frame);
        else await this.#publishReplay(frame);
      }
    } finally {
      this.#busy = false;
      if (this.#ended) this.#resolveDone();
    }
  }

  async #encode(frame: Frame): Promise<{ frame: Frame; payload: Uint8Array }> {
    const { stream, origin, jpegQuality } = this.#options;
    const transformed = stream.transform ? await stream.transform(frame) : frame;
    const jpeg = await encodeJpeg(transformed, jpegQuality);
    return { frame: transformed, payload: encodeFrame(transformed, jpeg.data, origin) };
  }

  async #publishLive(frame: Frame): Promise<void> {
    const { broker, log } = this.#options;
    if (!broker.connected) {
      this.#stats.skipped++;
      return;
    }
    try {
      const { payload } = await this.#encode(frame);
      broker.nc.publish(this.#subject, payload);
      this.#stats.published++;
    } catch (error) {
      this.#stats.skipped++;
      log.debug('live frame not published', { stream: frame.streamId, seq: frame.seq, error: (error as Error).message });
    }
  }

  async #publishReplay(frame: Frame): Promise<void> {
    const { broker, log, origin, stream, onStored } = this.#options;
    let encoded: { frame: Frame; payload: Uint8Array };
    try {
      encoded = await this.#encode(frame);
    } catch (error) {
      // A frame that cannot be encoded cannot be replayed by anyone: say so, and go on.
      log.error('replayed frame could not be encoded; skipped', { stream: frame.streamId, seq: frame.seq, error: (error as Error).message });
      stream.source.release(1);
      return;
    }
    // msgID: a retry after a lost PubAck is dropped by the broker as a duplicate, not stored twice.
    const msgID = `${origin.job}.${frame.streamId}.${frame.seq}`;
    for (let delay = RETRY_MIN_MS; !this.#stopped; delay = Math.min(RETRY_MAX_MS, delay * 2)) {
      try {
        await broker.js.publish(this.#subject, encoded.payload, { msgID, timeout: PUBLISH_TIMEOUT_MS });
        this.#stats.published++;
        stream.source.release(1);
        onStored?.(encoded.frame);
        return;
      } catch (error) {
        this.#stats.retries++;
        if (apiErrorCode(error) !== STREAM_FULL && this.#stats.retries % 20 === 1) {
          log.warn('replayed frame not stored yet; retrying', { stream: frame.streamId, seq: frame.seq, error: (error as Error).message });
        }
        await sleep(delay);
      }
    }
  }
}
