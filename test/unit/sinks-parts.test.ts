/** The MQTT and webhook sinks' bookkeeping: the bounded queue, the change gate, label episodes, which state events are news. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BoundedQueue } from '../../src/sinks/bounded-queue.js';
import { ChangeGate } from '../../src/sinks/change-gate.js';
import { EpisodeTracker } from '../../src/sinks/label-episodes.js';
import { labelReport } from '../../src/sinks/label-report.js';
import { StateChanges, stateReport } from '../../src/sinks/state-report.js';
import { SourceError, type SourceStateEvent } from '../../src/stream/index.js';
import { labeled } from '../helpers/sink-inputs.js';

describe('BoundedQueue', () => {
  it('drops the oldest when full, and a keyed push replaces the queued item of its key', () => {
    const q = new BoundedQueue<string>(3);
    assert.deepEqual(q.push('a'), {});
    q.push('s1', 'state');
    q.push('b');
    assert.deepEqual(q.push('s2', 'state'), { superseded: 's1' }, 'a newer value for the key replaces it, nothing dropped');
    assert.equal(q.length, 3);
    assert.deepEqual(q.push('c'), { dropped: 'a' });
    assert.deepEqual(q.clear(), ['b', 's2', 'c']);
  });

  it('returnToFront puts undelivered items back first, losing the oldest that do not fit and any whose key waits again', () => {
    const q = new BoundedQueue<string>(3);
    q.push('label2', 'label');
    q.push('x');
    const lost = q.returnToFront([{ item: 'e1' }, { item: 'label1', key: 'label' }, { item: 'e2' }]);
    assert.deepEqual(lost, ['label1', 'e1']);
    assert.deepEqual(q.clear(), ['e2', 'label2', 'x']);
  });
});

describe('ChangeGate', () => {
  it('lets a changed value through at most once per interval; a change that came too soon goes out once the interval is over', () => {
    let now = 0;
    const gate = new ChangeGate<string>(500, () => now);
    assert.deepEqual(gate.offer('cam', 'cat'), { previous: undefined });
    assert.equal(gate.offer('cam', 'cat'), undefined, 'no change');
    now = 100;
    assert.equal(gate.offer('cam', 'dog'), undefined, 'too soon');
    assert.deepEqual(gate.offer('other', 'dog'), { previous: undefined }, 'keys are independent');
    now = 500;
    assert.deepEqual(gate.offer('cam', 'dog'), { previous: 'cat' });
    now = 1200;
    assert.equal(gate.offer('cam', 'dog'), undefined, 'a flicker back and forth is no change');
    gate.forget('cam');
    assert.deepEqual(gate.offer('cam', 'dog'), { previous: undefined });
  });
});

describe('EpisodeTracker', () => {
  it('start, update (best confidence rose, rate-limited), end with the next label start; before/after and the best snapshot', () => {
    let now = 0;
    const tracker = new EpisodeTracker({ updateIntervalMs: 1000, now: () => now });
    const a0 = labeled('cam', 0, 'cat', 0.5);
    const [start] = tracker.frame(a0.frame, a0.inference);
    assert.equal(start!.type, 'start');
    assert.equal(start!.before, null);
    assert.equal(start!.after.label, 'cat');
    assert.equal(start!.after.previousLabel, null);
    assert.equal(start!.snapshot, a0.inference.editedImage, 'the first frame is the best so far');

    now = 200;
    const a1 = labeled('cam', 1, 'cat', 0.7);
    assert.deepEqual(tracker.frame(a1.frame, a1.inference), [], 'better, but within the update interval');
    now = 1100;
    const a2 = labeled('cam', 2, 'cat', 0.6);
    const [update] = tracker.frame(a2.frame, a2.inference);
    assert.equal(update!.type, 'update');
    assert.equal(update!.before!.bestConfidence, 0.5);
    assert.equal(update!.after.bestConfidence, 0.7);
    assert.equal(update!.after.bestSeq, 1);
    assert.equal(update!.after.frames, 3);
    assert.equal(update!.snapshot, a1.inference.editedImage, 'the snapshot is the best frame, not the latest');
    now = 2500;
    const a3 = labeled('cam', 3, 'cat', 0.65);
    assert.deepEqual(tracker.frame(a3.frame, a3.inference), [], 'no rise in the best confidence: no update');

    const b4 = labeled('cam', 4, 'dog', 0.9);
    const [end, next] = tracker.frame(b4.frame, b4.inference);
    assert.equal(end!.type, 'end');
    assert.equal(end!.after.label, 'cat');
    assert.equal(end!.after.frames, 4);
    assert.equal(end!.after.lastSeq, 3);
    assert.notEqual(end!.after.endedAt, null);
    assert.equal(end!.snapshot, undefined, 'the best was already told');
    assert.equal(next!.type, 'start');
    assert.equal(next!.after.previousLabel, 'cat');
    assert.notEqual(next!.after.id, end!.after.id);

    assert.equal(tracker.endStream('cam')!.type, 'end');
    assert.equal(tracker.endStream('cam'), undefined, 'nothing runs any more');
  });

  it('streams have episodes of their own; without an editor the snapshot is the frame itself', () => {
    const tracker = new EpisodeTracker({ updateIntervalMs: 0 });
    const a = labeled('a', 0, 'cat', 0.5, { editedImage: null });
    const b = labeled('b', 0, 'dog');
    assert.equal(tracker.frame(a.frame, a.inference)[0]!.snapshot, a.frame);
    assert.equal(tracker.frame(b.frame, b.inference)[0]!.type, 'start');
    const a1 = labeled('a', 1, 'cat', 0.6, { editedImage: null });
    assert.equal(tracker.frame(a1.frame, a1.inference)[0]!.type, 'update');
    assert.deepEqual(tracker.endAll().map((m) => `${m.type} ${m.after.stream}`), ['end a', 'end b']);
  });
});

describe('labelReport', () => {
  it('carries the adapted, source-only and edited labels, the corruption the frame is known to carry, and the top-k', () => {
    const { frame, inference } = labeled('cam', 7, 'ship', 0.81234, { source: 'frog', corruption: 'fog:4' });
    const report = labelReport(frame, inference);
    assert.equal(report.label, 'ship');
    assert.equal(report.confidence, 0.8123);
    assert.deepEqual(report.source, { label: 'frog', confidence: 0.4062 });
    assert.equal(report.edited!.label, 'ship');
    assert.equal(report.corruption, 'fog:4');
    assert.deepEqual(report.topk, [{ label: 'ship', p: 0.8123 }]);
    assert.ok(!Number.isNaN(Date.parse(report.at)));
  });
});

describe('StateChanges', () => {
  const at = Date.now();
  const starting = (attempt: number): SourceStateEvent => ({ state: 'starting', sourceId: 'cam', attempt, at });
  const running: SourceStateEvent = { state: 'running', sourceId: 'cam', attempt: 0, pid: 1, at };
  const reconnecting = (attempt: number): SourceStateEvent => ({ state: 'reconnecting', sourceId: 'cam', attempt, delayMs: 10, reason: 'rtsp://u:secret@cam/live: Connection refused', stderrTail: [], at });

  it('tells the first start, each running, and one reconnecting per outage (not its restart attempts)', () => {
    const changes = new StateChanges();
    const events = [starting(0), running, reconnecting(1), starting(1), reconnecting(2), starting(2), running];
    assert.deepEqual(events.filter((e) => changes.isChange(e)).map((e) => e.state), ['starting', 'running', 'reconnecting', 'running']);
    assert.equal(changes.last('cam'), 'running');
  });

  it('stateReport redacts URLs in the message and carries the error code', () => {
    assert.match(stateReport(reconnecting(1)).message!, /rtsp:\/\/u:\*\*\*@cam\/live/);
    const error = new SourceError('SOURCE_UNREADABLE', 'cannot open', { sourceId: 'cam', url: 'x.mp4' });
    const report = stateReport({ state: 'error', sourceId: 'cam', error, at });
    assert.equal(report.state, 'error');
    assert.equal(report.code, 'SOURCE_UNREADABLE');
    assert.equal(report.stream, 'cam');
  });
});
