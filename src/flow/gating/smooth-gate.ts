/**
 * The per-stream corruption gate stage of the frame flow: each inferred frame's gate score feeds
 * its stream's GateLevel, reset at a discontinuity (ffmpeg restarted, a new file), and the frame
 * leaves with the stream's `level` and `streamActive` (whether the stream's next frames are
 * edited) added to its `gate`. The flow reads `streamActive` to mark the stream's next frames
 * (Frame.edit) before they are batched, so gated frames never reach the editor.
 *
 *   processed$.pipe(smoothGate({ threshold: 0.5, hysteresis: 0.1, halfLifeMs: 250 }))
 *
 * Frames without a gate result (a bundle without a gate) pass unchanged; frames that carry an
 * earlier result (motion gating's `reused`) do not count again, nor do frames the gate did not
 * score (score null: the stream was scored a moment before). Marbles: test/unit/flow-gating.test.ts.
 */
import { map, Observable, type OperatorFunction } from 'rxjs';
import type { ProcessedFrame } from '../smoothing/index.js';
import { StreamStateMap } from '../stream-state-map.js';
import { GateLevel, type GateLevelOptions } from './gate-level.js';

export function smoothGate(options: GateLevelOptions): OperatorFunction<ProcessedFrame, ProcessedFrame> {
  // Checked once, at the call, rather than at a stream's first frame.
  new GateLevel(options);
  return (source) =>
    new Observable<ProcessedFrame>((subscriber) => {
      // Per subscription, so that two flows never share a stream's history.
      const levels = new StreamStateMap<GateLevel>();
      const levelOf = (streamId: string): GateLevel => levels.getOrCreate(streamId, () => new GateLevel(options));
      return source.pipe(map((processed) => gateOne(processed, levelOf(processed.frame.streamId)))).subscribe(subscriber);
    });
}

function gateOne({ frame, inference }: ProcessedFrame, level: GateLevel): ProcessedFrame {
  const gate = inference.gate;
  if (!gate) return { frame, inference };
  if (frame.discontinuity && !inference.reused) level.reset();
  const state = inference.reused || gate.score === null ? level.state : level.update(gate.score, frame.ptsMs);
  const smoothed = state?.level ?? gate.score;
  return { frame, inference: { ...inference, gate: { ...gate, ...(smoothed === null ? {} : { level: smoothed }), streamActive: state?.active ?? null } } };
}
