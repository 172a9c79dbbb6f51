/**
 * The smoothing stage of the frame flow: per stream, the reported label is the smoothed one
 * (LabelSmoother), reset at a discontinuity (ffmpeg restarted, a new file) and at a scene cut (the
 * grey thumbnail changed by more than `sceneCut`). Each frame keeps its raw ensemble and gains
 * `smoothed` and `labelChanged` (its reported label differs from the stream's previous one).
 * With mode 'off' the labels are the raw ones and only `labelChanged` is added.
 *
 *   processed$.pipe(smoothLabels({ labels, mode: 'ema', halfLifeMs: 1000, window: 15, margin: 0.15, sceneCut: 0.12 }))
 *
 * Marbles (ema; the unit tests run these): a raw label that flips for a frame or two between
 * steady ones keeps the smoothed label; a discontinuity takes the new label at once.
 */
import { map, Observable, type OperatorFunction } from 'rxjs';
import { greyThumbnail, thumbnailDifference } from '../../image/index.js';
import { toPrediction } from '../../model/ensemble.js';
import type { FrameInference, Prediction } from '../../model/index.js';
import type { Frame } from '../../stream/index.js';
import { StreamStateMap } from '../stream-state-map.js';
import { LabelSmoother, type SmoothingOptions } from './label-smoother.js';

/** A frame and what the engine (and the stages after it) said about it. */
export interface ProcessedFrame {
  frame: Frame;
  inference: FrameInference;
  /**
   * The frame's grey thumbnail when it is known already: a result from a worker carries the one
   * the worker took (the frame's pixels stayed there). Otherwise it is taken from the frame.
   */
  thumbnail?: Float32Array;
}

export interface SmoothLabelsOptions extends SmoothingOptions {
  /** Class names, index order (the engine's labels). */
  labels: readonly string[];
  /** Mean grey-thumbnail difference ([0, 1]) between consecutive frames that counts as a scene cut; 0 never cuts. */
  sceneCut: number;
}

interface StreamState {
  smoother: LabelSmoother | null;
  thumbnail: Float32Array | null;
  lastLabel: string | null;
}

export function smoothLabels(options: SmoothLabelsOptions): OperatorFunction<ProcessedFrame, ProcessedFrame> {
  return (source) =>
    new Observable<ProcessedFrame>((subscriber) => {
      // Per subscription, so that two flows never share a stream's history.
      const smoothing = new LabelSmoothing(options);
      return source.pipe(map((processed) => smoothing.apply(processed))).subscribe(subscriber);
    });
}

/**
 * The stage's state for many streams, fed one frame at a time and in each stream's own order:
 * what smoothLabels runs, and what a place that gets results from elsewhere (the gateway, the
 * reader of a distributed replay) runs where they meet in order.
 */
export class LabelSmoothing {
  readonly #options: SmoothLabelsOptions;
  /** Streams unheard of for minutes are dropped (see StreamStateMap). */
  readonly #streams = new StreamStateMap<StreamState>();

  constructor(options: SmoothLabelsOptions) {
    this.#options = options;
  }

  apply(processed: ProcessedFrame): ProcessedFrame {
    return smoothOne(processed, this.#stateOf(processed.frame.streamId), this.#options);
  }

  /** The stream is over: its history goes (one that comes back starts afresh). */
  forget(streamId: string): void {
    this.#streams.delete(streamId);
  }

  #stateOf(streamId: string): StreamState {
    return this.#streams.getOrCreate(streamId, () => ({ smoother: this.#options.mode === 'off' ? null : new LabelSmoother(this.#options), thumbnail: null, lastLabel: null }));
  }
}

function smoothOne({ frame, inference, thumbnail }: ProcessedFrame, state: StreamState, options: SmoothLabelsOptions): ProcessedFrame {
  let smoothed: Prediction | undefined;
  if (state.smoother) {
    // The thumbnail is taken on every frame, so that the frame after a discontinuity has its predecessor.
    const cut = isSceneCut(thumbnail ?? thumbnailOf(frame, options.sceneCut), state, options.sceneCut);
    if (frame.discontinuity || frame.meta?.sceneStart || cut) state.smoother.reset();
    const { distribution, index } = state.smoother.update(inference.distribution, frame.ptsMs);
    const ranked = toPrediction(distribution, options.labels, inference.ensemble.topk.length);
    smoothed = { ...ranked, label: options.labels[index] ?? String(index), index, confidence: distribution[index]! };
  }
  const label = (smoothed ?? inference.ensemble).label;
  const labelChanged = state.lastLabel !== null && label !== state.lastLabel;
  state.lastLabel = label;
  return { frame, inference: { ...inference, ...(smoothed ? { smoothed } : {}), labelChanged } };
}

/** None when cuts are off, or the frame has no pixels here (a result whose worker sent no thumbnail). */
function thumbnailOf(frame: Frame, threshold: number): Float32Array | undefined {
  return threshold > 0 && frame.data.byteLength > 0 ? greyThumbnail(frame) : undefined;
}

function isSceneCut(thumbnail: Float32Array | undefined, state: StreamState, threshold: number): boolean {
  if (threshold <= 0 || thumbnail === undefined) return false;
  const previous = state.thumbnail;
  state.thumbnail = thumbnail;
  // Thumbnails of another size (a worker of another version) cannot be compared: no cut.
  return previous !== null && previous.length === thumbnail.length && thumbnailDifference(previous, thumbnail) > threshold;
}
