/** StreamStateMap: a flow stage's per-stream state outlives its stream's last frame by idleMs, no longer. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamStateMap } from '../../src/flow/stream-state-map.js';

describe('StreamStateMap', () => {
  it('keeps what streams still send, and sweeps out a stream unheard of for idleMs', () => {
    let now = 0;
    const states = new StreamStateMap<{ frames: number }>({ idleMs: 1000, now: () => now });
    states.getOrCreate('cam', () => ({ frames: 0 })).frames++;
    states.getOrCreate('gone', () => ({ frames: 0 })).frames++;
    for (now = 100; now <= 1500; now += 100) states.getOrCreate('cam', () => ({ frames: 0 })).frames++;
    assert.equal(states.size, 1, "'gone' sent nothing for 1,000 ms: swept at cam's next frame");
    assert.equal(states.get('gone'), undefined);
    assert.equal(states.get('cam')!.frames, 16, 'a stream that keeps sending keeps its state');
  });

  it('sweeps at most once per idleMs, and a stream heard from again starts afresh', () => {
    let now = 0;
    const states = new StreamStateMap<number>({ idleMs: 1000, now: () => now });
    states.set('a', 1);
    now = 999;
    states.set('b', 2);
    assert.equal(states.get('a'), 1, 'not idle long enough yet');
    now = 2500;
    assert.equal(states.get('a'), undefined, 'idle 1,501 ms: swept');
    assert.equal(states.getOrCreate('b', () => 7), 7, 'b went in the same sweep: made anew');
    states.delete('b');
    assert.equal(states.size, 0);
  });
});
