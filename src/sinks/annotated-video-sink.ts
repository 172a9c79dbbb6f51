/**
 * The annotated video (`run --annotate out.mp4`, `sinks.annotatedVideo`): every processed frame of
 * one stream with its labels burned in (annotate-frame.ts), encoded by ffmpeg into one file.
 *
 * Nothing is lost in a replay: frame() only queues; the replay role holds the source back while
 * the encoder is behind (backpressure()), so memory stays bounded however slow ffmpeg is. The
 * file is finished by close(), after the flow has stopped.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { FrameInference } from '../model/index.js';
import { parseSourceUrl, probe, type Frame } from '../stream/index.js';
import type { AnnotateLayout } from './annotate-frame.js';
import { annotatedQueue, type AnnotatedItem, type StreamTimings } from './annotated-encode.js';
import type { FrameEncodeQueue } from './frame-encode-queue.js';
import type { FrameSink } from './types.js';

export interface AnnotatedVideoOptions {
  path: string;
  layout: AnnotateLayout;
  timings: StreamTimings;
  log: Logger;
}

/** Frames queued or being encoded beyond which a replay waits. */
const HIGH_WATER = 8;
/** Hard bound: reached only by a role that does not wait (frames beyond it are dropped, counted). */
const CAPACITY = 256;

export class AnnotatedVideoSink implements FrameSink {
  readonly name = 'annotated-video';
  readonly #options: AnnotatedVideoOptions;
  readonly #queue: FrameEncodeQueue<AnnotatedItem>;
  /** The one stream it writes: the first to deliver a frame (`run` has exactly one). */
  #streamId: string | undefined;
  #warnedOtherStream = false;

  private constructor(options: AnnotatedVideoOptions) {
    this.#options = options;
    const { path, layout, log } = options;
    // A single MP4 is read whole by players: the index goes first.
    const muxerArgs = /^\.(mp4|m4v|mov)$/i.test(extname(path)) ? ['-movflags', '+faststart'] : [];
    this.#queue = annotatedQueue({
      output: path,
      layout,
      timing: () => options.timings(this.#streamId!),
      muxerArgs,
      capacity: CAPACITY,
      onFailure: (error) => log.error(`annotated video ${path} failed; its later frames are dropped`, { error: error.message }),
    });
  }

  /** @throws when the output's folder does not exist or cannot be written, before any frame is run. */
  static async open(options: AnnotatedVideoOptions): Promise<AnnotatedVideoSink> {
    await access(dirname(options.path), constants.W_OK).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`annotated video ${options.path}: its folder cannot be written (${error.code ?? error.message})`);
    });
    return new AnnotatedVideoSink(options);
  }

  frame(frame: Frame, inference: FrameInference): void {
    this.#streamId ??= frame.streamId;
    if (frame.streamId !== this.#streamId) {
      if (!this.#warnedOtherStream) this.#options.log.warn(`annotated video ${this.#options.path} shows stream ${this.#streamId} only; ${frame.streamId} is left out`);
      this.#warnedOtherStream = true;
      return;
    }
    this.#queue.push({ frame, inference });
  }

  backpressure(): Promise<void> | undefined {
    return this.#queue.whenBelow(HIGH_WATER);
  }

  /** Finishes the file; rejects when the encode failed. */
  async close(): Promise<void> {
    const result = await this.#queue.close();
    const { dropped } = this.#queue;
    // Only a role that does not wait on backpressure() (serve, live) can get here.
    if (dropped > 0) this.#options.log.warn(`annotated video ${this.#options.path}: ${dropped} frames dropped (the encoder fell behind)`);
    this.#options.log.info(result ? `annotated video ${result.output}: ${result.frames} frames` : `annotated video ${this.#options.path}: no frame came, no file written`);
  }
}

/** Largest decode for an annotated video: this wide overlay, half as wide per side side-by-side. */
export const ANNOTATE_MAX_WIDTH = 1280;

/**
 * The decode size for an annotated video of `url`: the source's own size (ffprobe), scaled down
 * to fit `maxWidth` (halved side-by-side, so that the output is no wider), both sides even.
 */
export async function annotatedDecodeSize(url: string, layout: AnnotateLayout, maxWidth = ANNOTATE_MAX_WIDTH): Promise<{ width: number; height: number }> {
  const { width, height } = await probe(parseSourceUrl(url));
  const limit = layout === 'side-by-side' ? Math.floor(maxWidth / 2) : maxWidth;
  const scale = Math.min(1, limit / width);
  const even = (n: number) => Math.max(16, 2 * Math.round((n * scale) / 2));
  return { width: even(width), height: even(height) };
}
