/**
 * Label episodes: an episode is a run of consecutive processed frames of one stream with the same
 * adapted label (the reported one: the stream's smoothed label when the flow smooths). It starts
 * with the first frame of that label and ends with the first frame of another (which starts the
 * next episode), or when its stream ends or fails, or when the sink closes. A camera that
 * reconnects does not end it: a blip does not split a run.
 *
 * The tracker turns frames into the messages about episodes, after Frigate's events topic:
 * `start`, then `update` whenever the episode's best confidence has risen (at most once per
 * `updateIntervalMs`), then `end`. Each carries `before` (the episode as last told; null for a
 * start) and `after` (as it is now). It also keeps the best frame's picture for the snapshot.
 * Pure bookkeeping: no timers, no I/O.
 */
import type { RgbImage } from '../image/rgb-image.js';
import { reportedPrediction, type FrameInference } from '../model/index.js';
import type { Frame } from '../stream/index.js';
import { briefTopk, roundTo } from './jsonl-sink.js';
import { isoFromPerformance } from './label-report.js';
import { snapshotImage } from './snapshot.js';

export interface Episode {
  id: string;
  stream: string;
  label: string;
  /** The adapted label of the episode before this one on the stream; null for the first. */
  previousLabel: string | null;
  startedAt: string;
  /** Null while it lasts. */
  endedAt: string | null;
  frames: number;
  firstSeq: number;
  lastSeq: number;
  /** The current frame's adapted confidence, source-only label and known corruption. */
  confidence: number;
  sourceLabel: string;
  corruption: string | null;
  /** The best frame so far: its adapted confidence, seq and top-k. */
  bestConfidence: number;
  bestSeq: number;
  topk: Array<{ label: string; p: number }>;
}

export interface EpisodeMessage {
  type: 'start' | 'update' | 'end';
  before: Episode | null;
  after: Episode;
  /** The best frame's picture, when it has changed since the last message about this episode. */
  snapshot?: RgbImage;
}

interface Running {
  episode: Episode;
  told: Episode;
  toldAt: number;
  best: RgbImage;
  bestTold: boolean;
}

export class EpisodeTracker {
  readonly #updateIntervalMs: number;
  readonly #now: () => number;
  readonly #running = new Map<string, Running>();
  #count = 0;

  constructor(options: { updateIntervalMs: number; now?: () => number }) {
    this.#updateIntervalMs = options.updateIntervalMs;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The messages this frame causes: none, an update, or the end of one episode and the start of the next. */
  frame(frame: Frame, inference: FrameInference): EpisodeMessage[] {
    const adapted = reportedPrediction(inference);
    const running = this.#running.get(frame.streamId);
    if (running !== undefined && running.episode.label === adapted.label) return this.#extend(running, frame, inference);
    const messages: EpisodeMessage[] = [];
    if (running !== undefined) messages.push(this.#end(running, frame.capturedAt));
    const episode: Episode = {
      id: `${frame.streamId}-${Date.now().toString(36)}-${(this.#count++).toString(36)}`,
      stream: frame.streamId,
      label: adapted.label,
      previousLabel: running?.episode.label ?? null,
      startedAt: isoFromPerformance(frame.capturedAt),
      endedAt: null,
      frames: 1,
      firstSeq: frame.seq,
      lastSeq: frame.seq,
      confidence: roundTo(adapted.confidence),
      sourceLabel: inference.source.label,
      corruption: frame.meta?.corruption ?? null,
      bestConfidence: roundTo(adapted.confidence),
      bestSeq: frame.seq,
      topk: briefTopk(adapted),
    };
    const best = snapshotImage(frame, inference);
    this.#running.set(frame.streamId, { episode, told: { ...episode }, toldAt: this.#now(), best, bestTold: true });
    messages.push({ type: 'start', before: null, after: { ...episode }, snapshot: best });
    return messages;
  }

  /** Ends the stream's episode (the stream ended or failed): its `end` message, if one was running. */
  endStream(streamId: string): EpisodeMessage | undefined {
    const running = this.#running.get(streamId);
    return running === undefined ? undefined : this.#end(running, performance.now());
  }

  /** Ends every running episode (the sink closes). */
  endAll(): EpisodeMessage[] {
    return [...this.#running.keys()].map((id) => this.endStream(id)!);
  }

  #extend(running: Running, frame: Frame, inference: FrameInference): EpisodeMessage[] {
    const { episode } = running;
    const adapted = reportedPrediction(inference);
    const confidence = roundTo(adapted.confidence);
    Object.assign(episode, {
      frames: episode.frames + 1,
      lastSeq: frame.seq,
      confidence,
      sourceLabel: inference.source.label,
      corruption: frame.meta?.corruption ?? null,
    });
    if (confidence > episode.bestConfidence) {
      Object.assign(episode, { bestConfidence: confidence, bestSeq: frame.seq, topk: briefTopk(adapted) });
      running.best = snapshotImage(frame, inference);
      running.bestTold = false;
    }
    const now = this.#now();
    if (running.bestTold || now - running.toldAt < this.#updateIntervalMs) return [];
    return [this.#tell(running, 'update', now)];
  }

  #end(running: Running, atPerformanceMs: number): EpisodeMessage {
    this.#running.delete(running.episode.stream);
    running.episode.endedAt = isoFromPerformance(atPerformanceMs);
    return this.#tell(running, 'end', this.#now());
  }

  #tell(running: Running, type: 'update' | 'end', now: number): EpisodeMessage {
    const message: EpisodeMessage = { type, before: running.told, after: { ...running.episode }, ...(running.bestTold ? {} : { snapshot: running.best }) };
    running.told = { ...running.episode };
    running.toldAt = now;
    running.bestTold = true;
    return message;
  }
}
