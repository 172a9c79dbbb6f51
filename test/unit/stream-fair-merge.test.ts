import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../src/stream/frame.js';
import { fairMerge, fairMergeAll } from '../../src/stream/operators/fair-merge.js';
import { latestFrame } from '../../src/stream/operators/latest-frame.js';
import { framesOf, marbleScheduler } from '../helpers/stream-frames.js';

const a = framesOf('a');
const b = framesOf('b');
const c = framesOf('c');

describe('fairMerge', () => {
  it('serves streams round-robin when more frames wait than fit in a batch', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const fast = hot('  -1234-----|', a);
      const slow = hot('  --1-------|', b);
      const other = hot(' ---1------|', c);
      const ready = hot(' -----r-r-r-r');
      const expected = '  -----x-y-z|';
      // A plain merge + batch would give [a1,a2] [a3,a4] [b1,c1]: the fast stream first.
      expectObservable(fairMerge([fast, slow, other], { ready$: ready, maxBatch: 2 })).toBe(expected, {
        x: [a[1], b[1]],
        y: [c[1], a[2]],
        z: [a[3], a[4]],
      });
    });
  });

  it('waits maxWaitMs after the first frame when the consumer is idle, and not at all once full', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const first = hot('  --1--------2-3---', a);
      const second = hot(' -------------2---', b);
      const ready = hot('  r--------r-------');
      const expected = '   ------x------y---';
      expectObservable(fairMerge([first, second], { ready$: ready, maxBatch: 3, maxWaitMs: 4 })).toBe(expected, {
        x: [a[1]],
        // Round-robin goes on after the input served last: b first this time.
        y: [b[2], a[2], a[3]],
      });
    });
  });

  it('stops waiting once every open input has a frame in the batch (a lone camera never waits)', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const first = hot('  --1--------2-----', a);
      const second = hot(' ----1--------2---', b);
      const ready = hot('  r--------r-------');
      const expected = '   ----x--------y---';
      expectObservable(fairMerge([first, second], { ready$: ready, maxBatch: 8, maxWaitMs: 50 })).toBe(expected, {
        x: [a[1], b[1]],
        y: [a[2], b[2]],
      });
    });
    marbleScheduler().run(({ hot, expectObservable }) => {
      const only = hot('   --1---2---', a);
      const ready = hot('  r---r-----');
      expectObservable(fairMerge([only], { ready$: ready, maxBatch: 8, maxWaitMs: 50 })).toBe('--x---y---', { x: [a[1]], y: [a[2]] });
    });
  });

  it('sends frames that were already waiting at once when demand arrives', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const input = hot('  -12------', a);
      const ready = hot('  -----r---');
      expectObservable(fairMerge([input], { ready$: ready, maxBatch: 4, maxWaitMs: 50 })).toBe('-----x---', {
        x: [a[1], a[2]],
      });
    });
  });

  it('emits one batch per demand, never an empty one', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const input = hot('  -1-2-3456------|', a);
      const ready = hot('  r-r-r------rr-r-');
      // While the worker keeps up, every demand finds nothing waiting and takes the next frame as
      // it comes (maxWaitMs 0); a4..a6 arrive with no demand and wait; the last demand finds
      // nothing and no empty batch is sent.
      expectObservable(fairMerge([input], { ready$: ready, maxBatch: 2 })).toBe('-x-y-z-----vw--|', {
        x: [a[1]],
        y: [a[2]],
        z: [a[3]],
        v: [a[4], a[5]],
        w: [a[6]],
      });
    });
  });

  it('completes only after the remaining frames went out on demand', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const input = hot('  -12|', a);
      const ready = hot('  ----r--r');
      expectObservable(fairMerge([input], { ready$: ready, maxBatch: 1 })).toBe('----x--(y|)', {
        x: [a[1]],
        y: [a[2]],
      });
    });
  });

  it('passes an input error through and unsubscribes everything', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const failing = hot(' -1-#', a);
      const healthy = hot(' -1----', b);
      const ready = hot('   ------');
      expectObservable(fairMerge([failing, healthy], { ready$: ready, maxBatch: 2 })).toBe('---#');
      expectSubscriptions(healthy.subscriptions).toBe('^--!');
      expectSubscriptions(ready.subscriptions).toBe('^--!');
    });
  });

  it('propagates unsubscription to every input and to ready$', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const first = hot('  -1-2-3-4', a);
      const second = hot(' --1-2-3-', b);
      const ready = hot('  r-------');
      expectObservable(fairMerge([first, second], { ready$: ready, maxBatch: 2 }), '^----!').toBe('-x----', {
        x: [a[1]],
      });
      expectSubscriptions(first.subscriptions).toBe('^----!');
      expectSubscriptions(second.subscriptions).toBe('^----!');
      expectSubscriptions(ready.subscriptions).toBe('^----!');
    });
  });

  it('with latestFrame gates on the same ready$, each batch holds the newest frame of every live stream', () => {
    const dropped: Frame[] = [];
    marbleScheduler().run(({ hot, expectObservable }) => {
      const ready = hot('  r-------r-----r----r');
      const fast = hot('   -1-2-3-4-5-6-7-8-|', a);
      const slow = hot('   ----1-------2----|', b);
      const gate = latestFrame(ready, (frame: Frame) => dropped.push(frame));
      const batches = fairMerge([fast.pipe(gate), slow.pipe(gate)], { ready$: ready, maxBatch: 4 });
      // 0: demand, nothing held -> a1 goes alone as it comes. b1 comes while the worker is busy:
      // it waits for the next demand (8), with a4, the newest of the fast stream (a2, a3 dropped).
      expectObservable(batches).toBe('-x------y-----z----(w|)', {
        x: [a[1]],
        y: [b[1], a[4]],
        z: [b[2], a[7]],
        w: [a[8]],
      });
    });
    assert.deepEqual(
      dropped.map((frame) => `${frame.streamId}${frame.seq}`),
      ['a2', 'a3', 'a5', 'a6'],
    );
  });

  it('completes at once with no inputs, and rejects unusable options', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(fairMerge([], { ready$: hot('r'), maxBatch: 1 })).toBe('|');
    });
    assert.throws(() => fairMerge([], { ready$: new Array<never>() as never, maxBatch: 0 }), RangeError);
    assert.throws(() => fairMerge([], { ready$: new Array<never>() as never, maxBatch: 1, maxWaitMs: -1 }), RangeError);
  });
});

describe('fairMergeAll (inputs added at run time)', () => {
  it('an input that arrives later joins the rotation from then on', () => {
    marbleScheduler().run(({ hot, cold, expectObservable }) => {
      const first = hot('  -12345----', a);
      const second = hot(' ----1234--', b);
      // The second stream is added at frame 3: its earlier frames were never subscribed to.
      const inputs = cold('a--b------', { a: first, b: second });
      const ready = hot('  ------r-r-r');
      expectObservable(fairMergeAll(inputs, { ready$: ready, maxBatch: 2 })).toBe('------x-y-z', {
        x: [a[1], b[1]],
        y: [a[2], b[2]],
        z: [a[3], b[3]],
      });
    });
  });

  it('completes only when the intake and every input have completed and nothing is queued', () => {
    marbleScheduler().run(({ hot, cold, expectObservable }) => {
      const first = hot('  -1-|', a);
      const inputs = cold('a-------|', { a: first });
      const ready = hot('  r-------');
      // first is done at 3 and its frame went out, but more inputs could still come until 8.
      expectObservable(fairMergeAll(inputs, { ready$: ready, maxBatch: 4 })).toBe('-x------|', { x: [a[1]] });
    });
  });

  it('a finished input leaves the rotation, so its frames left behind still go out and the others keep their turn', () => {
    marbleScheduler().run(({ hot, cold, expectObservable }) => {
      const gone = hot('   -12|', a);
      const stays = hot('  -1--2--3', b);
      const inputs = cold('(ab)', { a: gone, b: stays });
      const ready = hot('  ----r--r--r');
      expectObservable(fairMergeAll(inputs, { ready$: ready, maxBatch: 2 })).toBe('----x--y--z', {
        x: [a[1], b[1]],
        y: [a[2], b[2]],
        z: [b[3]],
      });
    });
  });
});

describe('fairMerge with fillBatches (replay)', () => {
  it('a demand waits up to maxWaitMs for a fuller batch, even when frames are waiting and every input is in it', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const only = hot('  -12--34567-------|', a);
      const ready = hot(' ---r------r-------');
      // Without fillBatches the first demand would take [a1, a2] at once (frame 3).
      // The first demand (3) waits; the batch fills at 6. The second (10) waits its 3 frames for a
      // fourth frame that does not come, then sends the three it has (13).
      expectObservable(fairMerge([only], { ready$: ready, maxBatch: 4, maxWaitMs: 3, fillBatches: true })).toBe('------x------y---|', {
        x: [a[1], a[2], a[3], a[4]],
        y: [a[5], a[6], a[7]],
      });
    });
  });
});
