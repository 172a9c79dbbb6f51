import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, formatBytes, formatDuration, formatProgressLine } from '../../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (text: string) => void writes.push(text) } };
}

describe('formatProgressLine', () => {
  it('shows a bar, count/total, rate and ETA', () => {
    const line = formatProgressLine({ label: 'eval', done: 250, total: 1000, elapsedMs: 5000, unit: 'items' });
    assert.equal(line, 'eval  [#####...............]  250/1000  50/s  ETA 15s');
  });

  it('shows the count and rate when the total is unknown', () => {
    assert.equal(formatProgressLine({ done: 12, total: undefined, elapsedMs: 4000, unit: 'items' }), '12  3.0/s');
  });

  it('shows the elapsed time once complete, and bytes in MB', () => {
    const line = formatProgressLine({ label: 'cifar10', done: 3 * 1024 ** 2, total: 3 * 1024 ** 2, elapsedMs: 2000, unit: 'bytes' });
    assert.equal(line, 'cifar10  [####################]  3.0 MB/3.0 MB  1.5 MB/s  in 2s');
  });

  it('formats durations and sizes', () => {
    assert.equal(formatDuration(125_000), '2m05s');
    assert.equal(formatDuration(3_780_000), '1h03m');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(2048), '2.0 kB');
  });
});

describe('createProgress', () => {
  it('is silent when the stream is not a TTY', () => {
    const { writes, stream } = fakeStream(false);
    const progress = createProgress({ total: 10, stream });
    progress.tick(5);
    progress.done();
    assert.equal(progress.enabled, false);
    assert.deepEqual(writes, []);
  });

  it('redraws in place on a TTY, throttled, and ends the line on done()', () => {
    const { writes, stream } = fakeStream(true);
    let now = 0;
    const progress = createProgress({ total: 10, label: 'x', stream, intervalMs: 100, now: () => now });
    progress.tick(); // first draw
    now = 50;
    progress.tick(); // throttled
    now = 150;
    progress.tick(); // drawn
    assert.equal(writes.length, 2);
    assert.ok(writes.every((w) => w.startsWith('\r') && w.endsWith('\x1b[K')));
    assert.match(writes[1], /3\/10/);
    now = 1000;
    progress.update(10);
    progress.done();
    progress.done(); // idempotent
    assert.match(writes.at(-2)!, /10\/10/);
    assert.equal(writes.at(-1), '\n');
    assert.equal(writes.filter((w) => w === '\n').length, 1);
  });

  it('clear() erases the line', () => {
    const { writes, stream } = fakeStream(true);
    const progress = createProgress({ stream });
    progress.tick();
    progress.clear();
    assert.equal(writes.at(-1), '\r\x1b[K');
  });
});
