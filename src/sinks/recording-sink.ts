/**
 * Recordings (`sinks.recordings`): the annotated frames of chosen streams, written by ffmpeg's
 * segment muxer to rolling MP4 files of `segmentSeconds` each, for review after the fact; old
 * segments are deleted by retention (segment-retention.ts), checked every segment.
 *
 * Live streams are recorded as processed (timed by arrival, so a segment lasts its wall-clock
 * time); a recording that falls behind drops frames (counted, logged), never blocks the flow.
 * A stream that ends (or is removed) finishes its last segment; one that comes back starts anew.
 */
import { mkdir } from 'node:fs/promises';
import type { Logger } from '../log/logger.js';
import type { FrameInference } from '../model/index.js';
import type { StreamStateEvent } from '../server/index.js';
import type { Frame } from '../stream/index.js';
import type { AnnotateLayout } from './annotate-frame.js';
import { annotatedQueue, type AnnotatedItem, type StreamTimings } from './annotated-encode.js';
import type { FrameEncodeQueue } from './frame-encode-queue.js';
import { applyRetention, segmentPattern, type Retention } from './segment-retention.js';
import { NO_SINK_METRICS, type SinkMetrics } from './sink-metrics.js';
import type { FrameSink } from './types.js';

export interface RecordingOptions {
  dir: string;
  segmentSeconds: number;
  retention: Retention;
  /** Stream ids to record, or '*' for every stream. */
  streams: '*' | readonly string[];
  layout: AnnotateLayout;
  timings: StreamTimings;
  log: Logger;
  /** Where drops and failures are counted (/metrics); default: nowhere. */
  metrics?: SinkMetrics;
}

/** Frames a recording may be behind before it drops (live frames are worth little late). */
const CAPACITY = 30;

interface Recording {
  queue: FrameEncodeQueue<AnnotatedItem>;
  pattern: string;
}

export class RecordingSink implements FrameSink {
  readonly name = 'recordings';
  readonly #options: RecordingOptions;
  readonly #recordings = new Map<string, Recording>();
  readonly #finishing = new Set<Promise<void>>();
  readonly #sweeper: NodeJS.Timeout;
  #sweeping: Promise<void> | undefined;

  private constructor(options: RecordingOptions) {
    this.#options = options;
    this.#sweeper = setInterval(() => void this.sweep(), Math.min(60, options.segmentSeconds) * 1000).unref();
  }

  /** Creates the folder if need be. @throws when it cannot be created. */
  static async open(options: RecordingOptions): Promise<RecordingSink> {
    await mkdir(options.dir, { recursive: true });
    return new RecordingSink(options);
  }

  frame(frame: Frame, inference: FrameInference): void {
    const { streams } = this.#options;
    if (streams !== '*' && !streams.includes(frame.streamId)) return;
    let recording = this.#recordings.get(frame.streamId);
    if (recording === undefined) this.#recordings.set(frame.streamId, (recording = this.#start(frame.streamId)));
    recording.queue.push({ frame, inference });
  }

  state(event: StreamStateEvent): void {
    if (event.state === 'ended' || event.state === 'error') this.#finish(event.sourceId);
  }

  /** Deletes what retention no longer keeps (also run every segment); resolves with the names deleted. */
  async sweep(): Promise<string[]> {
    const { dir, retention, log } = this.#options;
    let deleted: string[] = [];
    // One sweep at a time: a slow disk must not pile them up.
    this.#sweeping ??= applyRetention(dir, retention)
      .then((names) => {
        deleted = names;
        if (names.length > 0) log.debug('recordings: retention deleted segments', { names });
      })
      .catch((error: Error) => log.warn('recordings: retention failed', { dir, error: error.message }))
      .finally(() => (this.#sweeping = undefined));
    await this.#sweeping;
    return deleted;
  }

  /** Finishes every stream's last segment and applies retention once more. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const streamId of [...this.#recordings.keys()]) this.#finish(streamId);
    await Promise.all(this.#finishing);
    await this.sweep();
  }

  #start(streamId: string): Recording {
    const { dir, segmentSeconds, layout, timings, log, metrics = NO_SINK_METRICS } = this.#options;
    const pattern = segmentPattern(dir, streamId, new Date());
    const muxerArgs = [
      // A key frame every segment, or the muxer cannot cut there.
      '-force_key_frames', `expr:gte(t,n_forced*${segmentSeconds})`,
      '-f', 'segment', '-segment_time', String(segmentSeconds), '-reset_timestamps', '1', '-segment_format', 'mp4',
      // Fragmented: a segment cut short (a crash, a kill) still plays.
      '-segment_format_options', 'movflags=+frag_keyframe+empty_moov+default_base_moof',
    ];
    const queue = annotatedQueue({
      output: pattern,
      layout,
      timing: () => timings(streamId),
      muxerArgs,
      capacity: CAPACITY,
      onFailure: (error) => {
        metrics.recordingFailed(streamId);
        log.error(`recording of ${streamId} failed; it stops until the stream starts again`, { error: error.message });
      },
      onDropped: (count, reason) => metrics.recordingDropped(streamId, count, reason),
    });
    log.info(`recording ${streamId} to ${pattern}`);
    return { queue, pattern };
  }

  #finish(streamId: string): void {
    const recording = this.#recordings.get(streamId);
    if (recording === undefined) return;
    this.#recordings.delete(streamId);
    const { queue, pattern } = recording;
    const done = queue
      .close()
      .then(
        () => {
          if (queue.dropped > 0) this.#options.log.warn(`recording of ${streamId} dropped ${queue.dropped} frames (the encoder fell behind)`, { pattern });
        },
        (error: Error) => this.#options.log.error(`recording of ${streamId} could not be finished`, { pattern, error: error.message }),
      )
      .finally(() => this.#finishing.delete(done));
    this.#finishing.add(done);
  }
}
