/** MotionGate: still frames carry the last result, in order; change, age, a discontinuity or a scene start force inference. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MotionGate } from '../../src/flow/motion-gate.js';
import type { FrameInference } from '../../src/model/index.js';
import type { Frame } from '../../src/stream/index.js';

/** A 32x24 frame of one grey level, captured at `seq * 40` ms. */
function frame(seq: number, grey: number, extra: Partial<Frame> = {}): Frame {
  return { streamId: 's', seq, ptsMs: seq * 40, capturedAt: seq * 40, width: 32, height: 24, data: new Uint8Array(32 * 24 * 3).fill(grey), discontinuity: false, ...extra };
}
const result = (name: string) => ({ ensemble: { label: name } }) as unknown as FrameInference;

function gate(maxAgeMs = 1000) {
  const emitted: Array<{ seq: number; label: string; ageMs: number | undefined }> = [];
  const g = new MotionGate({ threshold: 0.02, maxAgeMs }, (f, inference) => emitted.push({ seq: f.seq, label: inference.ensemble.label, ageMs: inference.resultAgeMs }));
  return { g, emitted };
}

describe('MotionGate', () => {
  it('the first frame is inferred; still frames after its result carry it, marked with their age', () => {
    const { g, emitted } = gate();
    assert.equal(g.offer(frame(0, 100)), true);
    g.inferred(frame(0, 100), result('cat'));
    assert.equal(g.offer(frame(1, 101)), false);
    assert.equal(g.offer(frame(2, 100)), false);
    assert.deepEqual(emitted, [{ seq: 1, label: 'cat', ageMs: 40 }, { seq: 2, label: 'cat', ageMs: 80 }]);
  });

  it('a changed picture is inferred; drift adds up against the last inferred frame', () => {
    const { g } = gate();
    g.offer(frame(0, 100));
    g.inferred(frame(0, 100), result('cat'));
    assert.equal(g.offer(frame(1, 103)), false, '3/255 is within the threshold');
    assert.equal(g.offer(frame(2, 106)), true, '6/255 from the inferred frame is not, although 3/255 from the previous one');
    assert.equal(g.offer(frame(3, 180)), true);
  });

  it('still frames that come while an earlier frame is inferred wait for its result: order is kept', () => {
    const { g, emitted } = gate();
    g.offer(frame(0, 100));
    g.inferred(frame(0, 100), result('cat'));
    assert.equal(g.offer(frame(1, 200)), true); // changed: sent to inference
    assert.equal(g.offer(frame(2, 100)), false); // still vs frame 0, but frame 1 is pending
    assert.deepEqual(emitted, []);
    g.inferred(frame(1, 200), result('dog'));
    assert.deepEqual(emitted, [{ seq: 2, label: 'dog', ageMs: 40 }]);
  });

  it('a frame dropped before inference (or a failed batch) releases the frames waiting behind it', () => {
    const { g, emitted } = gate();
    g.offer(frame(0, 100));
    g.inferred(frame(0, 100), result('cat'));
    g.offer(frame(1, 200));
    g.offer(frame(2, 100));
    g.settled(frame(1, 200));
    assert.deepEqual(emitted, [{ seq: 2, label: 'cat', ageMs: 80 }]);
  });

  it('invalidate (the corruption gate switched the editor): still frames are inferred until a new result is back', () => {
    const { g, emitted } = gate();
    g.offer(frame(0, 100));
    g.inferred(frame(0, 100), result('cat'));
    assert.equal(g.offer(frame(1, 100)), false);
    g.invalidate();
    assert.equal(g.offer(frame(2, 100)), true);
    g.inferred(frame(2, 100), result('dog'));
    assert.equal(g.offer(frame(3, 100)), false);
    assert.deepEqual(emitted, [{ seq: 1, label: 'cat', ageMs: 40 }, { seq: 3, label: 'dog', ageMs: 40 }]);
  });

  it('a result older than maxAgeMs, a discontinuity or a scene start force inference', () => {
    const { g } = gate(100);
    g.offer(frame(0, 100));
    g.inferred(frame(0, 100), result('cat'));
    assert.equal(g.offer(frame(2, 100)), false);
    assert.equal(g.offer(frame(3, 100)), true, '120 ms > maxAgeMs');
    g.inferred(frame(3, 100), result('cat'));
    assert.equal(g.offer(frame(4, 100, { discontinuity: true })), true);
    g.inferred(frame(4, 100), result('cat'));
    assert.equal(g.offer(frame(5, 100, { meta: { sceneStart: true } })), true);
  });

  it('refuses bad options', () => {
    assert.throws(() => new MotionGate({ threshold: 2, maxAgeMs: 1 }, () => {}), /threshold/);
    assert.throws(() => new MotionGate({ threshold: 0.1, maxAgeMs: 0 }, () => {}), /maxAgeMs/);
  });
});
