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
import { LabelSmoother, type SmoothingOptions } from './label-smoother.js';

/** A frame and what the engine (and the stages after it) said about it. */
export interface ProcessedFrame {
  frame: Frame;
  inference: FrameInference;
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
      const streams = new Map<string, StreamState>();
      const stateOf = (streamId: string): StreamState => {
        let state = streams.get(streamId);
        if (!state) {
          state = { smoother: options.mode === 'off' ? null : new LabelSmoother(options), thumbnail: null, lastLabel: null };
          streams.set(streamId, state);
        }
        return state;
      };
      return source.pipe(map((processed) => smoothOne(processed, stateOf(processed.frame.streamId), options))).subscribe(subscriber);
    });
}

function smoothOne({ frame, inference }: ProcessedFrame, state: StreamState, options: SmoothLabelsOptions): ProcessedFrame {
  let smoothed: Prediction | undefined;
  if (state.smoother) {
    // The thumbnail is taken on every frame, so that the frame after a discontinuity has its predecessor.
    const cut = isSceneCut(frame, state, options.sceneCut);
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

function isSceneCut(frame: Frame, state: StreamState, threshold: number): boolean {
  if (threshold <= 0) return false;
  const thumbnail = greyThumbnail(frame);
  const previous = state.thumbnail;
  state.thumbnail = thumbnail;
  return previous !== null && thumbnailDifference(previous, thumbnail) > threshold;
}
