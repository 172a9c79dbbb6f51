/** fanOut: every sink gets every event in list order, a throwing sink is isolated and counted. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/log/index.js';
import { closeSinks, fanOut, type FrameSink } from '../../src/sinks/index.js';
import type { FrameInference, StageTimings } from '../../src/model/index.js';
import type { Frame } from '../../src/stream/index.js';

const frame = { streamId: 's', seq: 0 } as Frame;
const inference = {} as FrameInference;

test('each event reaches every sink that handles it, in list order', () => {
  const calls: string[] = [];
  const sinks: FrameSink[] = [
    { name: 'a', frame: () => calls.push('a.frame'), dropped: (id, n) => calls.push(`a.dropped ${id} ${n}`) },
    { name: 'b', frame: () => calls.push('b.frame'), batch: (size) => calls.push(`b.batch ${size}`) },
  ];
  const sink = fanOut(sinks, createLogger('silent'));
  sink.frame(frame, inference);
  sink.batch(4, {} as StageTimings);
  sink.dropped('s', 2);
  sink.state({ sourceId: 's', state: 'running' } as never);
  assert.deepEqual(calls, ['a.frame', 'b.frame', 'b.batch 4', 'a.dropped s 2']);
});

test('a throwing sink does not stop the others; its failures are counted and logged once per hundred', () => {
  const lines: string[] = [];
  const received: number[] = [];
  const sink = fanOut(
    [
      { name: 'broken', frame: () => { throw new Error('disk full'); } },
      { name: 'ok', frame: (f) => received.push(f.seq) },
    ],
    createLogger('error', { write: (line) => lines.push(line) }),
  );
  for (let seq = 0; seq < 150; seq++) sink.frame({ ...frame, seq }, inference);
  assert.equal(received.length, 150);
  assert.equal(sink.failures.get('broken'), 150);
  assert.equal(sink.failures.get('ok'), undefined);
  assert.equal(lines.length, 2, 'failure 1 and failure 101 are logged');
  const first = JSON.parse(lines[0]!) as { level: string; msg: string; error: string };
  assert.equal(first.level, 'error');
  assert.match(first.msg, /sink broken failed on frame/);
  assert.equal(first.error, 'disk full');
});

test('closeSinks closes every sink even when one fails, and rejects with that failure', async () => {
  const closed: string[] = [];
  const sinks: FrameSink[] = [
    { name: 'a', close: async () => { closed.push('a'); throw new Error('a cannot flush'); } },
    { name: 'b' },
    { name: 'c', close: async () => { closed.push('c'); } },
  ];
  await assert.rejects(closeSinks(sinks), /a cannot flush/);
  assert.deepEqual(closed.sort(), ['a', 'c']);
});
