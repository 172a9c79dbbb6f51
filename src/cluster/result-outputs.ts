/**
 * Where the cluster's results meet their outputs (the gateway; the reader of `run --nats`), each
 * stream's results in seq order already (ResultOrder, ReplayCollector): label smoothing, the one
 * stateful stage a worker cannot run since it sees only part of each stream, then every configured
 * sink, as FrameFlow hands them on in `serve`. States (from the ingests' board) reach the sinks in
 * order with the stream's results.
 *
 * Results travel as JPEGs; a sink that needs pixels (snapshots of MQTT and webhooks, recordings)
 * gets them decoded back, off the event loop, still in order per stream. Streams that need none
 * cost no decode.
 *
 *   const outputs = new ResultOutputs({ sinks, smoothing: config.smoothing, pictures, log });
 *   outputs.setLabels(model.labels);            // smoothing starts once the labels are known
 *   const shown = outputs.result(result);       // smoothed, for the dashboard
 */
import { LabelSmoothing, type SmoothLabelsOptions } from '../flow/smoothing/index.js';
import type { Logger } from '../log/logger.js';
import type { FrameInference } from '../model/index.js';
import { decodeJpeg } from '../server/jpeg.js';
import type { StreamStateEvent } from '../server/stream-state.js';
import { fanOut, type FannedOutSink, type FrameSink } from '../sinks/index.js';
import type { Frame } from '../stream/index.js';
import type { DecodedResult } from './codec.js';

/** Which pixels the sinks need back. */
export interface PictureNeeds {
  /** A sink attaches the edited frame (the frame itself without an editor): MQTT, a webhook with includeSnapshot. */
  snapshots: boolean;
  /** The stream is recorded: its frames are drawn on. */
  recorded(streamId: string): boolean;
}

export interface ResultOutputsOptions {
  sinks: readonly FrameSink[];
  smoothing: Omit<SmoothLabelsOptions, 'labels'>;
  pictures?: PictureNeeds;
  log: Logger;
}

const NO_PICTURES: PictureNeeds = { snapshots: false, recorded: () => false };

export class ResultOutputs {
  readonly #options: ResultOutputsOptions;
  readonly #sink: FannedOutSink;
  /** Until the model's labels are known (a worker's heartbeat), results pass unsmoothed. */
  #smoothing: LabelSmoothing;
  /** Per stream, the hand-over still waiting for its pictures: later ones queue behind it. */
  readonly #pending = new Map<string, Promise<void>>();
  #decodeFailures = 0;

  constructor(options: ResultOutputsOptions) {
    this.#options = options;
    this.#sink = fanOut(options.sinks, options.log);
    this.#smoothing = new LabelSmoothing({ ...options.smoothing, mode: 'off', labels: [] });
  }

  /** The model's class names: smoothing (as configured) starts with the next result. */
  setLabels(labels: readonly string[]): void {
    if (labels.length === 0 || this.#options.smoothing.mode === 'off') return;
    this.#smoothing = new LabelSmoothing({ ...this.#options.smoothing, labels });
  }

  /** A result, in seq order per stream: smoothed, handed to the sinks, and returned for the dashboard. */
  result(result: DecodedResult): DecodedResult {
    const { streamId } = result.frame;
    const { inference } = this.#smoothing.apply({ frame: result.frame, inference: result.inference, ...(result.thumbnail ? { thumbnail: result.thumbnail } : {}) });
    const smoothed = { ...result, inference };
    const pictured = this.#withPictures(smoothed);
    if (!(pictured instanceof Promise)) {
      this.#inOrder(streamId, () => this.#sink.frame(smoothed.frame, smoothed.inference));
    } else {
      let ready: DecodedResult | undefined;
      this.#inOrder(streamId, () => ready && this.#sink.frame(ready.frame, ready.inference), pictured.then((r) => void (ready = r)));
    }
    return smoothed;
  }

  dropped(streamId: string, count: number): void {
    this.#sink.dropped(streamId, count);
  }

  state(event: StreamStateEvent): void {
    const { sourceId } = event;
    // A stream that is over starts afresh if it comes back (streams come and go at run time).
    if (event.state === 'ended' || event.state === 'error') this.#smoothing.forget(sourceId);
    this.#inOrder(sourceId, () => this.#sink.state(event));
  }

  /** Resolves once every result on its way has reached the sinks (the sinks are the role's to close). */
  async flush(): Promise<void> {
    await Promise.all(this.#pending.values());
  }

  /** The result with the pixels its sinks need, decoded; or the result itself when none are. */
  #withPictures(result: DecodedResult): DecodedResult | Promise<DecodedResult | undefined> {
    const { snapshots, recorded } = this.#options.pictures ?? NO_PICTURES;
    const { images } = result;
    const wantsSource = recorded(result.frame.streamId) || (snapshots && images.edited === null);
    const wantsEdited = images.edited !== null && (snapshots || recorded(result.frame.streamId));
    if (!wantsSource && !wantsEdited) return result;
    return Promise.all([wantsSource ? decodeJpeg(images.source.data) : undefined, wantsEdited ? decodeJpeg(images.edited!.data) : undefined]).then(
      ([source, edited]) => {
        const frame: Frame = source === undefined ? result.frame : { ...result.frame, ...source };
        const inference: FrameInference = edited === undefined ? result.inference : { ...result.inference, editedImage: edited };
        return { ...result, frame, inference };
      },
      (error: unknown) => {
        if (this.#decodeFailures++ % 100 === 0) this.#options.log.warn('a result could not be decoded for the sinks; they skip it', { stream: result.frame.streamId, error: (error as Error).message });
        return undefined;
      },
    );
  }

  /** Runs `handOver` in order per stream: at once when nothing of the stream waits, else once what does is done and `ready` has settled. */
  #inOrder(streamId: string, handOver: () => void, ready?: Promise<void>): void {
    const before = this.#pending.get(streamId);
    if (before === undefined && ready === undefined) {
      handOver();
      return;
    }
    const handed: Promise<void> = Promise.all([before, ready])
      .then(handOver)
      .finally(() => {
        if (this.#pending.get(streamId) === handed) this.#pending.delete(streamId);
      });
    this.#pending.set(streamId, handed);
  }
}
