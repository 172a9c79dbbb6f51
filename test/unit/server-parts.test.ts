import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LatestOnlyQueue } from '../../src/server/latest-only.js';
import { TokenBucket } from '../../src/server/rate-limit.js';
import { redactUrl } from '../../src/server/redact.js';
import { RollingStats } from '../../src/server/rolling-stats.js';
import { sourceDescriptor } from '../../src/server/dashboard-server.js';
import { toRelativePath } from '../../src/server/static-files.js';
import { StreamRegistry } from '../../src/server/stream-registry.js';
import { originAllowed } from '../../src/server/upgrade-guard.js';

describe('toRelativePath', () => {
  it('maps / and folders to index.html', () => {
    assert.equal(toRelativePath('/'), 'index.html');
    assert.equal(toRelativePath('/app.js'), 'app.js');
    assert.equal(toRelativePath('/sub/'), 'sub/index.html');
  });

  it('refuses traversal in every spelling', () => {
    for (const bad of ['/../package.json', '/a/../../x', '/%2e%2e/package.json', '/..%2fpackage.json', '/a%5c..%5cb', '/x%00.js', '/%E0%A4%A']) {
      assert.equal(toRelativePath(bad), undefined, bad);
    }
  });
});

describe('originAllowed', () => {
  it('defaults to the same origin', () => {
    assert.equal(originAllowed('http://127.0.0.1:8080', '127.0.0.1:8080', undefined), true);
    assert.equal(originAllowed('https://evil.example', '127.0.0.1:8080', undefined), false);
    assert.equal(originAllowed('null', '127.0.0.1:8080', undefined), false);
  });

  it('follows the configured list; * allows any', () => {
    assert.equal(originAllowed('http://dash.lan:3000', 'x:1', ['http://dash.lan:3000/']), true);
    assert.equal(originAllowed('http://other.lan', 'x:1', ['http://dash.lan:3000']), false);
    assert.equal(originAllowed('http://other.lan', 'x:1', ['*']), true);
  });
});

describe('redactUrl', () => {
  it('hides passwords and secret query parameters, keeps the rest', () => {
    assert.equal(redactUrl('rtsp://admin:hunter2@10.0.0.5:554/live'), 'rtsp://admin:***@10.0.0.5:554/live');
    assert.equal(redactUrl('https://cam.example/feed.m3u8?token=abc&quality=hd'), 'https://cam.example/feed.m3u8?token=***&quality=hd');
    assert.equal(redactUrl('videos/a.mp4'), 'videos/a.mp4');
    assert.equal(redactUrl('lavfi:testsrc2=size=320x240'), 'lavfi:testsrc2=size=320x240');
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the refill rate', () => {
    let now = 0;
    const bucket = new TokenBucket({ perSecond: 10, burst: 3, now: () => now });
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    now += 100; // one token back
    assert.deepEqual([bucket.take(), bucket.take()], [true, false]);
    now += 10_000; // capped at the burst
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
  });
});

describe('LatestOnlyQueue', () => {
  it('runs in order and replaces the waiting job with the newest', async () => {
    const queue = new LatestOnlyQueue<number>();
    const ran: number[] = [];
    let finishJobs!: () => void;
    const jobsMayFinish = new Promise<void>((resolve) => (finishJobs = resolve));
    const job = (n: number) => async () => {
      ran.push(n);
      await jobsMayFinish;
      return n;
    };
    // Job 1 is still running while 2, 3 and 4 are pushed.
    const pushed = Promise.all([1, 2, 3, 4].map((n) => queue.push(job(n))));
    finishJobs();
    const results = await pushed;
    assert.deepEqual(ran, [1, 4]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['done', 'superseded', 'superseded', 'done'],
    );
    assert.equal(queue.idle, true);
  });

  it('a failing job rejects its own promise and the queue goes on', async () => {
    const queue = new LatestOnlyQueue<number>();
    const failing = queue.push(async () => {
      throw new Error('boom');
    });
    const next = queue.push(async () => 7);
    await assert.rejects(failing, /boom/);
    assert.deepEqual(await next, { status: 'done', value: 7 });
  });
});

describe('RollingStats', () => {
  it('measures fps over recent frames and decays when they stop', () => {
    const stats = new RollingStats();
    for (let i = 0; i <= 50; i++) stats.recordFrame(i * 100); // 10 fps for 5 s
    assert.ok(Math.abs(stats.fps(5000) - 10) < 0.5, String(stats.fps(5000)));
    assert.ok(stats.fps(8000) < 10);
    assert.equal(stats.fps(20_000), 0);
  });

  it('p95 of recent latencies', () => {
    const stats = new RollingStats();
    assert.equal(stats.p95LatencyMs(), null);
    for (let i = 1; i <= 100; i++) stats.recordLatency(i);
    assert.equal(stats.p95LatencyMs(), 95);
    stats.addDropped(3);
    stats.addDropped(2);
    assert.equal(stats.dropped, 5);
  });
});

describe('corruption settings of streams', () => {
  it('sourceDescriptor: a spec or null; a list of one is its spec, a longer list is left out', () => {
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'x.mp4', corrupt: 'cycle:4' }), { id: 'a', url: 'x.mp4', corruption: 'cycle:4' });
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'x.mp4' }), { id: 'a', url: 'x.mp4', corruption: null });
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'x.mp4', corrupt: ['fog:4'] }), { id: 'a', url: 'x.mp4', corruption: 'fog:4' });
    assert.deepEqual(sourceDescriptor({ id: 'a', url: 'x.mp4', corrupt: ['fog:4', 'snow:2'] }), { id: 'a', url: 'x.mp4' });
  });

  it('StreamRegistry keeps the setting through state changes; unknown settings and streams stay out', () => {
    const registry = new StreamRegistry();
    registry.ensure({ id: 'a', corruption: 'fog:4' });
    registry.ensure({ id: 'b' });
    registry.setState('a', { state: 'running' });
    assert.equal(registry.setCorruption('a', null), true);
    assert.equal(registry.setCorruption('ghost', 'fog:1'), false);
    assert.deepEqual(registry.summaries(), [
      { id: 'a', url: null, state: 'running', corruption: null },
      { id: 'b', url: null, state: 'starting' },
    ]);
  });
});
