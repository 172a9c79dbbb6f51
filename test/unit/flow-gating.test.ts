/**
 * The corruption gate per stream: GateLevel's smoothing and hysteresis, and the flow's stage
 * (smoothGate) as marble tests: a clean stream stays off, a lasting corruption turns the editor on
 * within a few frames and its end turns it off again, a stream hovering near the threshold does not
 * flicker, an off delay rides out a dip, a discontinuity starts afresh, reused and unscored frames
 * do not count, streams are gated apart, frames without a gate pass unchanged, unsubscription
 * propagates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map } from 'rxjs';
import { GateLevel, smoothGate } from '../../src/flow/gating/index.js';
import type { ProcessedFrame } from '../../src/flow/smoothing/index.js';
import { toPrediction } from '../../src/model/ensemble.js';
import { marbleScheduler, testFrame } from '../helpers/stream-frames.js';

// Frames are 40 ms apart (testFrame): a half-life of two frames.
const OPTIONS = { threshold: 0.5, hysteresis: 0.1, halfLifeMs: 80 };
const LABELS = ['cat', 'dog'];

/** A processed frame of `stream` at `seq` whose gate scored `score` (null: a bundle without a gate). */
function processed(stream: string, seq: number, score: number | null, extra: Extra = {}): ProcessedFrame {
  const distribution = Float32Array.of(0.7, 0.3);
  const prediction = toPrediction(distribution, LABELS, 2);
  const frame = { ...testFrame(stream, seq), discontinuity: extra.discontinuity ?? false };
  const gate = score === null ? null : { score: extra.unscored ? null : score, active: score >= OPTIONS.threshold };
  return {
    frame,
    inference: { source: prediction, edited: null, ensemble: prediction, distribution, gate, editedImage: null, timings: {} as never, ...(extra.reused ? { reused: true } : {}) },
  };
}

/** reused: motion gating carried an earlier result; unscored: the gate skipped the frame (score null). */
interface Extra { discontinuity?: boolean; reused?: boolean; unscored?: boolean }

/** A run of frames of one stream, one marble letter each, from a list of scores. */
function run(scores: readonly number[], extras: Record<number, Extra> = {}, stream = 's') {
  const letters = 'abcdefghijklmnopqrstuvwxyz'.slice(0, scores.length);
  const values = Object.fromEntries([...letters].map((k, i) => [k, processed(stream, i, scores[i]!, extras[i])]));
  return { marbles: `${letters}|`, values, letters };
}

/** t: the stream's next frames are edited; f: they are not; n: each frame decides for itself. */
const decision = (p: ProcessedFrame) => (p.inference.gate?.streamActive === true ? 't' : p.inference.gate?.streamActive === false ? 'f' : 'n');
const expected = (letters: string, decisions: string) => Object.fromEntries([...letters].map((k, i) => [k, decisions[i]]));

describe('GateLevel', () => {
  it('the first score decides on its own; later ones are averaged with a half-life in stream time', () => {
    const level = new GateLevel(OPTIONS);
    assert.equal(level.state, null);
    assert.deepEqual(level.update(0.2, 0), { level: 0.2, active: false });
    // One half-life later the past weighs half.
    const { level: averaged } = level.update(1, 80);
    assert.ok(Math.abs(averaged - 0.6) < 1e-9, `level ${averaged}`);
    assert.equal(level.state!.active, true);
  });

  it('switches on at the threshold and off only below threshold - hysteresis', () => {
    const level = new GateLevel({ ...OPTIONS, halfLifeMs: 1e-6 }); // no memory: the level is the score
    assert.equal(level.update(0.5, 0).active, true);
    assert.equal(level.update(0.41, 1).active, true);
    assert.equal(level.update(0.39, 2).active, false);
    assert.equal(level.update(0.49, 3).active, false);
    assert.equal(level.update(0.5, 4).active, true);
  });

  it('with offDelayMs, switches off only once the level has stayed below threshold - hysteresis that long', () => {
    const level = new GateLevel({ ...OPTIONS, halfLifeMs: 1e-6, offDelayMs: 100 });
    assert.equal(level.update(0.9, 0).active, true);
    // A dip shorter than the delay keeps the editor on, and coming back above restarts the count.
    assert.equal(level.update(0.2, 40).active, true);
    assert.equal(level.update(0.2, 120).active, true);
    assert.equal(level.update(0.45, 160).active, true);
    assert.equal(level.update(0.2, 200).active, true);
    assert.equal(level.update(0.2, 280).active, true);
    assert.equal(level.update(0.2, 300).active, false);
    // On again at once: the delay is on the way off only.
    assert.equal(level.update(0.5, 340).active, true);
    // A reset forgets a dip in progress.
    level.update(0.2, 380);
    level.reset();
    level.update(0.9, 400);
    assert.equal(level.update(0.2, 480).active, true);
  });

  it('reset forgets the level: the next score decides alone', () => {
    const level = new GateLevel(OPTIONS);
    level.update(0.9, 0);
    level.reset();
    assert.equal(level.state, null);
    assert.deepEqual(level.update(0.1, 40), { level: 0.1, active: false });
  });

  it('refuses bad options, naming them', () => {
    assert.throws(() => new GateLevel({ ...OPTIONS, threshold: 1.5 }), /threshold/);
    assert.throws(() => new GateLevel({ ...OPTIONS, hysteresis: -0.1 }), /hysteresis/);
    assert.throws(() => new GateLevel({ ...OPTIONS, halfLifeMs: 0 }), /halfLifeMs/);
    assert.throws(() => new GateLevel({ ...OPTIONS, offDelayMs: -1 }), /offDelayMs/);
    assert.throws(() => smoothGate({ ...OPTIONS, halfLifeMs: 0 }), /halfLifeMs/);
  });
});

describe('smoothGate', () => {
  it('a clean stream keeps the editor off, one odd frame included', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const { marbles, values, letters } = run([0.1, 0.2, 0.1, 0.8, 0.1, 0.15, 0.1]);
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'fffffff'));
    });
  });

  it('a lasting corruption turns the editor on within a few frames, and its end turns it off', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      // Clean, then corrupted from the third frame, clean again from the eighth.
      const { marbles, values, letters } = run([0.1, 0.1, 0.95, 0.95, 0.95, 0.95, 0.95, 0.1, 0.1, 0.1, 0.1, 0.1]);
      // Level: 0.1 0.1 0.35 0.53 ... 0.80 | 0.60 0.45 0.35: on at the fourth frame, off once below 0.4.
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'fffttttttfff'));
    });
  });

  it('a stream hovering around the threshold does not flicker', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      // Frame by frame the editor would go on and off every frame.
      const { marbles, values, letters } = run([0.9, 0.44, 0.56, 0.44, 0.56, 0.44, 0.56, 0.44]);
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'tttttttt'));
    });
    marbleScheduler().run(({ cold, expectObservable }) => {
      const { marbles, values, letters } = run([0.1, 0.46, 0.52, 0.46, 0.52, 0.46, 0.52, 0.46]);
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'ffffffff'));
    });
  });

  it('with an off delay, a corrupted stream whose scores dip for a few frames stays edited', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      // Corrupted, but the gate scores frames 4-7 as clean (a scene it is unsure of); clean from frame 11.
      const { marbles, values, letters } = run([0.95, 0.95, 0.95, 0.95, 0.1, 0.1, 0.1, 0.1, 0.95, 0.95, 0.95, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
      // Level: 0.95 ... 0.70 0.53 0.40 0.31 | 0.50 0.63 0.72 | 0.54 0.41 0.32 ...: without a delay the dip
      // switches the editor off for two frames; with 160 ms (four frames) it stays on until the level has been under 0.4 that long.
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'tttttttffttttffffff'));
      expectObservable(cold(marbles, values).pipe(smoothGate({ ...OPTIONS, offDelayMs: 160 }), map(decision))).toBe(marbles, expected(letters, 'tttttttttttttttttff'));
    });
  });

  it('a discontinuity starts afresh: that frame decides by its own score', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const { marbles, values, letters } = run([0.95, 0.95, 0.95, 0.1, 0.1, 0.95], { 3: { discontinuity: true }, 5: { discontinuity: true } });
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(decision))).toBe(marbles, expected(letters, 'tttfft'));
    });
  });

  it('the frame leaves with the smoothed level; reused frames (motion gating) do not move it', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const { marbles, values, letters } = run([0.2, 0.9, 0.9, 0.9, 0.6], { 1: { reused: true }, 2: { reused: true }, 3: { reused: true } });
      const level = (p: ProcessedFrame) => Math.round(p.inference.gate!.level! * 1000) / 1000;
      // Four frames apart (160 ms, two half-lives): 0.2 + (0.6 - 0.2) * 0.75.
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(level))).toBe(marbles, Object.fromEntries([...letters].map((k, i) => [k, [0.2, 0.2, 0.2, 0.2, 0.5][i]])));
    });
  });

  it('frames the gate did not score carry the level and the decision without moving them', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const { marbles, values, letters } = run([0.2, 0.9, 0.9, 0.9, 0.7], { 1: { unscored: true }, 2: { unscored: true }, 3: { unscored: true } });
      const seen = (p: ProcessedFrame) => `${p.inference.gate!.score === null ? '-' : 's'}${Math.round(p.inference.gate!.level! * 1000) / 1000}${decision(p)}`;
      expectObservable(cold(marbles, values).pipe(smoothGate(OPTIONS), map(seen))).toBe(marbles, Object.fromEntries([...letters].map((k, i) => [k, ['s0.2f', '-0.2f', '-0.2f', '-0.2f', 's0.575t'][i]])));
    });
  });

  it('each stream is gated on its own', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = { a: processed('x', 0, 0.95), b: processed('y', 0, 0.1), c: processed('x', 1, 0.95), d: processed('y', 1, 0.1) };
      expectObservable(cold('abcd|', values).pipe(smoothGate(OPTIONS), map((p) => `${p.frame.streamId}:${decision(p)}`))).toBe('abcd|', {
        a: 'x:t', b: 'y:f', c: 'x:t', d: 'y:f',
      });
    });
  });

  it('frames without a gate result (a bundle without a gate) pass unchanged', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const frame = processed('s', 0, null);
      expectObservable(cold('a|', { a: frame }).pipe(smoothGate(OPTIONS))).toBe('a|', { a: frame });
    });
  });

  it('unsubscribing unsubscribes from the input', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const input = hot('-a-b-c-', { a: processed('s', 0, 0.1), b: processed('s', 1, 0.1), c: processed('s', 2, 0.1) });
      expectObservable(input.pipe(smoothGate(OPTIONS), map(decision)), '^--!').toBe('-a-', { a: 'f' });
      expectSubscriptions(input.subscriptions).toBe('^--!');
    });
  });
});
