import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batchFrames } from '../../src/stream/operators/batch-frames.js';
import { framesOf, marbleScheduler } from '../helpers/stream-frames.js';

const f = framesOf('a');

describe('batchFrames', () => {
  it('emits when full, or maxWaitMs after the first frame, and flushes on completion', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -12-3--4------5-|', f);
      const expected = '    ----x-------y---(z|)';
      expectObservable(source.pipe(batchFrames({ maxBatch: 3, maxWaitMs: 5 }))).toBe(expected, {
        x: [f[1], f[2], f[3]],
        y: [f[4]],
        z: [f[5]],
      });
      expectSubscriptions(source.subscriptions).toBe('^---------------!');
    });
  });

  it('starts the wait at the first frame of each batch, not on a fixed clock', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      // bufferTime(3) would emit at 3, 6, 9, 12 (empty arrays included); the batch timer runs
      // from frame 3 (a) and from frame 9 (b).
      const source = hot('  ---1-----2----|', f);
      const expected = '    ------x-----y-|';
      expectObservable(source.pipe(batchFrames({ maxBatch: 10, maxWaitMs: 3 }))).toBe(expected, {
        x: [f[1]],
        y: [f[2]],
      });
    });
  });

  it('never emits an empty batch', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('----------|').pipe(batchFrames({ maxBatch: 2, maxWaitMs: 2 }))).toBe('----------|');
    });
  });

  it('emits every frame alone with maxBatch 1', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-1-2|', f).pipe(batchFrames({ maxBatch: 1, maxWaitMs: 100 }))).toBe('-x-y|', {
        x: [f[1]],
        y: [f[2]],
      });
    });
  });

  it('batches by size only when maxWaitMs is Infinity', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-1----------2---3-|', f).pipe(batchFrames({ maxBatch: 2, maxWaitMs: Infinity }))).toBe(
        '------------x-----(y|)',
        { x: [f[1], f[2]], y: [f[3]] },
      );
    });
  });

  it('propagates errors (the partial batch is discarded)', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(hot('-1-#', f).pipe(batchFrames({ maxBatch: 3, maxWaitMs: 10 }))).toBe('---#');
    });
  });

  it('propagates unsubscription to the source and cancels the timer', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -1-2-3-4', f);
      expectObservable(source.pipe(batchFrames({ maxBatch: 10, maxWaitMs: 6 })), '^----!').toBe('------');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('rejects unusable options', () => {
    assert.throws(() => batchFrames({ maxBatch: 0, maxWaitMs: 5 }), RangeError);
    assert.throws(() => batchFrames({ maxBatch: 2.5, maxWaitMs: 5 }), RangeError);
    assert.throws(() => batchFrames({ maxBatch: 2, maxWaitMs: -1 }), RangeError);
    assert.throws(() => batchFrames({ maxBatch: 2, maxWaitMs: Number.NaN }), RangeError);
  });
});
