import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BehaviorSubject, of } from 'rxjs';
import type { Frame } from '../../src/stream/frame.js';
import { latestFrame } from '../../src/stream/operators/latest-frame.js';
import { framesOf, marbleScheduler, testFrame } from '../helpers/stream-frames.js';

const a = framesOf('a');

describe('latestFrame', () => {
  it('hands over the newest frame on each demand and drops the ones it replaced', () => {
    const dropped: Frame[] = [];
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const ready = hot('   r-----r--r-------r');
      const source = hot('  -1-23---4---56|', a);
      const expected = '    -1----3--4-------(6|)';
      expectObservable(source.pipe(latestFrame(ready, (frame) => dropped.push(frame)))).toBe(expected, a);
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
      expectSubscriptions(ready.subscriptions).toBe(' ^----------------!');
    });
    assert.deepEqual(dropped.map((frame) => frame.seq), [2, 5]);
  });

  it('remembers one demand, not several: a burst of ready lets one frame through', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const ready = hot('   (rrr)------r');
      const source = hot('  -----1-2-3---', a);
      const expected = '    -----1-----3';
      expectObservable(source.pipe(latestFrame(ready))).toBe(expected, a);
    });
  });

  it('keeps at most one frame whatever the backlog: latency cannot grow', () => {
    let drops = 0;
    marbleScheduler().run(({ hot, expectObservable }) => {
      const ready = hot('   ----------r----------r');
      const source = hot('  -123456789-123456789-', a);
      const expected = '    ----------9----------9';
      expectObservable(source.pipe(latestFrame(ready, () => drops++))).toBe(expected, a);
    });
    assert.equal(drops, 16);
  });

  it('passes source errors through at once', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const ready = hot('   r------');
      const source = hot('  -1-2-#', a);
      expectObservable(source.pipe(latestFrame(ready))).toBe('-1---#', a);
      expectSubscriptions(ready.subscriptions).toBe('^----!');
    });
  });

  it('passes ready$ errors through and unsubscribes the source', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const ready = hot('   r--#');
      const source = hot('  -1-----', a);
      expectObservable(source.pipe(latestFrame(ready))).toBe('-1-#', a);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('propagates unsubscription to the source and to ready$', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const ready = hot('   r---r---r---');
      const source = hot('  -1-2-3-4-5-6', a);
      expectObservable(source.pipe(latestFrame(ready)), '^------!').toBe('-1--2--', a);
      expectSubscriptions(source.subscriptions).toBe('^------!');
      expectSubscriptions(ready.subscriptions).toBe(' ^------!');
    });
  });

  it('takes an initial demand from a BehaviorSubject even with a synchronous source', () => {
    const ready$ = new BehaviorSubject<void>(undefined);
    const seen: number[] = [];
    of(testFrame('s', 1), testFrame('s', 2), testFrame('s', 3))
      .pipe(latestFrame(ready$))
      .subscribe((frame) => seen.push(frame.seq));
    assert.deepEqual(seen, [1]);
    ready$.next();
    assert.deepEqual(seen, [1, 3]);
  });
});

