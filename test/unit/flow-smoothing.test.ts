/**
 * Temporal label smoothing: LabelSmoother's averaging and hysteresis, and the flow's stage
 * (smoothLabels) as marble tests: a flicker between steady frames keeps the label, a discontinuity,
 * a source's scene start or a scene cut starts afresh, streams are smoothed apart, 'off' passes
 * the raw labels through, unsubscription propagates.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { map } from 'rxjs';
import { LabelSmoother, LabelSmoothing, smoothLabels, type ProcessedFrame } from '../../src/flow/smoothing/index.js';
import { greyThumbnail, thumbnailDifference } from '../../src/image/index.js';
import { reportedPrediction, toPrediction } from '../../src/model/ensemble.js';
import { marbleScheduler, testFrame } from '../helpers/stream-frames.js';

const LABELS = ['cat', 'dog', 'car'];
const EMA = { mode: 'ema', halfLifeMs: 80, window: 1, margin: 0.15 } as const;

/** A processed frame of `stream` at seq whose ensemble says `label` with probability p. */
function processed(stream: string, seq: number, label: string, p = 0.8, extra: Partial<ProcessedFrame['frame']> = {}): ProcessedFrame {
  const index = LABELS.indexOf(label);
  const distribution = Float32Array.from(LABELS, (_, i) => (i === index ? p : (1 - p) / (LABELS.length - 1)));
  const frame = { ...testFrame(stream, seq), discontinuity: false, ...extra };
  const prediction = toPrediction(distribution, LABELS, LABELS.length);
  return { frame, inference: { source: prediction, edited: prediction, ensemble: prediction, distribution, gate: null, editedImage: null, timings: {} as never } };
}

const reported = (p: ProcessedFrame) => `${reportedPrediction(p.inference).label}${p.inference.labelChanged ? '!' : ''}`;

describe('LabelSmoother', () => {
  it('ema: the weight of the past halves every halfLifeMs of stream time', () => {
    const smoother = new LabelSmoother({ ...EMA, margin: 0 });
    smoother.update(Float32Array.of(1, 0, 0), 0);
    const { distribution } = smoother.update(Float32Array.of(0, 1, 0), 80);
    assert.deepEqual([...distribution].map((x) => Math.round(x * 1000) / 1000), [0.5, 0.5, 0]);
    // Two half-lives later the past weighs a quarter.
    const later = smoother.update(Float32Array.of(0, 1, 0), 240);
    assert.ok(Math.abs(later.distribution[0]! - 0.125) < 1e-9);
  });

  it('hysteresis: a new class must lead the current one by the margin', () => {
    const smoother = new LabelSmoother({ mode: 'window', halfLifeMs: 1, window: 2, margin: 0.2 });
    assert.equal(smoother.update(Float32Array.of(0.6, 0.4, 0), 0).index, 0);
    // Mean (0.5, 0.5): dog is level with cat, not ahead by 0.2: cat stays.
    assert.equal(smoother.update(Float32Array.of(0.4, 0.6, 0), 40).index, 0);
    // Mean (0.3, 0.7): dog leads by 0.4.
    assert.equal(smoother.update(Float32Array.of(0.2, 0.8, 0), 80).index, 1);
  });

  it('reset forgets the average and the label', () => {
    const smoother = new LabelSmoother(EMA);
    smoother.update(Float32Array.of(1, 0, 0), 0);
    smoother.reset();
    assert.equal(smoother.update(Float32Array.of(0, 0.6, 0.4), 40).index, 1);
  });

  it('refuses bad options, naming them', () => {
    assert.throws(() => new LabelSmoother({ ...EMA, halfLifeMs: 0 }), /halfLifeMs/);
    assert.throws(() => new LabelSmoother({ ...EMA, mode: 'window', window: 0 }), /window/);
    assert.throws(() => new LabelSmoother({ ...EMA, margin: 1 }), /margin/);
  });
});

describe('smoothLabels', () => {
  const stage = (overrides = {}) => smoothLabels({ ...EMA, sceneCut: 0, labels: LABELS, ...overrides });

  it('a one- or two-frame flicker between steady frames keeps the label', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const labels = ['cat', 'cat', 'dog', 'cat', 'dog', 'dog', 'cat', 'cat'];
      const input = cold('abcdefgh|', Object.fromEntries(labels.map((l, i) => ['abcdefgh'[i], processed('s', i, l)])));
      expectObservable(input.pipe(stage(), map(reported))).toBe('abcdefgh|', Object.fromEntries([...'abcdefgh'].map((k) => [k, 'cat'])));
      // Without smoothing every flip is a change.
      const raw = labels.map((l, i) => (i > 0 && l !== labels[i - 1] ? `${l}!` : l));
      expectObservable(input.pipe(stage({ mode: 'off' }), map(reported))).toBe('abcdefgh|', Object.fromEntries([...'abcdefgh'].map((k, i) => [k, raw[i]])));
    });
  });

  it('a lasting change of class wins after a few frames, and is counted once', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = Object.fromEntries([...'abcdef'].map((k, i) => [k, processed('s', i, i < 2 ? 'cat' : 'dog')]));
      expectObservable(cold('abcdef|', values).pipe(stage(), map(reported))).toBe('abcdef|', {
        // Half-life 2 frames, margin 0.15: dog leads enough on its third frame.
        a: 'cat', b: 'cat', c: 'cat', d: 'cat', e: 'dog!', f: 'dog',
      });
    });
  });

  it('a discontinuity or a scene start announced by the source takes the new label at once', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: processed('s', 0, 'cat'),
        b: processed('s', 1, 'cat'),
        c: processed('s', 2, 'dog', 0.8, { discontinuity: true }),
        d: processed('s', 3, 'car', 0.8, { meta: { sceneStart: true } }),
      };
      expectObservable(cold('abcd|', values).pipe(stage(), map(reported))).toBe('abcd|', { a: 'cat', b: 'cat', c: 'dog!', d: 'car!' });
    });
  });

  it('a scene cut (the grey thumbnail changes a lot) starts afresh, camera noise does not', () => {
    const picture = (grey: number, noise = 0) => {
      const data = new Uint8Array(64 * 48 * 3);
      for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, grey + (((i * 7919) % 13) - 6) * noise));
      return { width: 64, height: 48, data };
    };
    assert.ok(thumbnailDifference(greyThumbnail(picture(100)), greyThumbnail(picture(100, 3))) < 0.02, 'noise averages out');
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: processed('s', 0, 'cat', 0.8, picture(100)),
        b: processed('s', 1, 'dog', 0.8, picture(100, 3)),
        c: processed('s', 2, 'dog', 0.8, picture(220)),
      };
      expectObservable(cold('abc|', values).pipe(stage({ sceneCut: 0.12 }), map(reported))).toBe('abc|', { a: 'cat', b: 'cat', c: 'dog!' });
    });
  });

  it("a result from elsewhere (no pixels here) cuts by the thumbnail it carries; LabelSmoothing is the same stage, one frame at a time", () => {
    const flat = (grey: number) => new Float32Array(256).fill(grey);
    const noPixels = { data: new Uint8Array(0) };
    const smoothing = new LabelSmoothing({ ...EMA, sceneCut: 0.12, labels: LABELS });
    const run = (thumbnails: Array<Float32Array | undefined>, labels: string[]) =>
      labels.map((label, i) => reported(smoothing.apply({ ...processed('far', i, label, 0.8, noPixels), ...(thumbnails[i] ? { thumbnail: thumbnails[i] } : {}) })));
    assert.deepEqual(run([flat(0.4), flat(0.41), flat(0.9)], ['cat', 'dog', 'dog']), ['cat', 'cat', 'dog!']);
    smoothing.forget('far');
    assert.deepEqual(run([undefined, undefined, undefined], ['cat', 'dog', 'dog']), ['cat', 'cat', 'cat'], 'no thumbnail, no pixels: no cut (and no error)');
  });

  it('each stream is smoothed on its own', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = { a: processed('x', 0, 'cat'), b: processed('y', 0, 'dog'), c: processed('x', 1, 'cat'), d: processed('y', 1, 'dog') };
      expectObservable(cold('abcd|', values).pipe(stage(), map((p) => `${p.frame.streamId}:${reported(p)}`))).toBe('abcd|', {
        a: 'x:cat', b: 'y:dog', c: 'x:cat', d: 'y:dog',
      });
    });
  });

  it('unsubscribing unsubscribes from the input', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const input = hot('-a-b-c-', { a: processed('s', 0, 'cat'), b: processed('s', 1, 'cat'), c: processed('s', 2, 'cat') });
      expectObservable(input.pipe(stage(), map(reported)), '^--!').toBe('-a-', { a: 'cat' });
      expectSubscriptions(input.subscriptions).toBe('^--!');
    });
  });
});
