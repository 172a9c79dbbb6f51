/**
 * Webhooks against a local receiver of the test's own that fails, stalls and recovers: retries
 * and timeouts counted, a bounded queue that drops (counted) while frame() returns at once, the
 * cooldown per stream, multipart posts with the JPEG, and a serve whose frame rate does not move
 * while the receiver stalls.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { MetricsSnapshot, parsePrometheusText } from '../../src/bench/prometheus.js';
import { loadConfig, type ConfigOverrides, type WebhookConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { ServiceMetrics } from '../../src/server/index.js';
import { StreamRegistry } from '../../src/server/stream-registry.js';
import { WebhookSink, type FrameSink } from '../../src/sinks/index.js';
import type { SourceStateEvent } from '../../src/stream/index.js';
import { labeled } from '../helpers/sink-inputs.js';
import { serveInProcess } from '../helpers/serve-session.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

type HookInput = NonNullable<NonNullable<ConfigOverrides['sinks']>['webhooks']>[number];

/** A hook as the schema fills it in, with the sink built the way serve builds it, and metrics of its own. */
async function hookSink(t: TestContext, hook: HookInput) {
  const config = await loadConfig({ file: null, env: {}, overrides: { sinks: { webhooks: [hook] } } });
  const metrics = new ServiceMetrics(new StreamRegistry(), { defaultMetrics: false });
  const sink = new WebhookSink(config.sinks.webhooks![0] as WebhookConfig, 0, { log: silentLogger, metrics });
  t.after(() => sink.close());
  const count = async (name: string, labels: Record<string, string> = {}) =>
    new MetricsSnapshot(parsePrometheusText((await metrics.exposition()).body)).sum(name, { sink: 'webhook:1', ...labels });
  return { sink, count };
}

const state = (state: 'running' | 'reconnecting', sourceId = 'cam'): SourceStateEvent =>
  state === 'running'
    ? { state, sourceId, attempt: 0, pid: 1, at: Date.now() }
    : { state, sourceId, attempt: 1, delayMs: 100, reason: 'input ended', stderrTail: [], at: Date.now() };

const FAST_RETRY = { initialDelayMs: 10, maxDelayMs: 50 };

test('a post that fails (500), then stalls past the timeout, then succeeds is sent after two retries; one out of retries is failed; a 400 is not retried', async (t) => {
  const receiver = await WebhookReceiver.start(t);
  const { sink, count } = await hookSink(t, { url: receiver.url, on: ['state'], timeoutMs: 300, retries: 2, retryDelay: FAST_RETRY, headers: { 'X-Token': 'abc' } });

  receiver.script = ['fail', 'stall', 'ok'];
  sink.state(state('running'));
  await receiver.waitFor(() => receiver.posts.length === 3 && receiver.posts[1]!.abandoned, 'three attempts, the stalled one abandoned by the client');
  await waitFor(async () => (await count('decorruptor_sink_messages_total', { outcome: 'sent' })) === 1, { what: 'one sent' });
  assert.equal(await count('decorruptor_sink_retries_total'), 2);
  assert.equal(await count('decorruptor_sink_messages_total', { outcome: 'failed' }), 0);
  const [payload] = await receiver.payloads();
  assert.equal(payload!['type'], 'state');
  assert.equal(payload!['state'], 'running');
  assert.equal(receiver.posts[0]!.headers['x-token'], 'abc', 'configured headers are sent');
  assert.match(receiver.posts[0]!.contentType, /^application\/json/);

  receiver.script = ['fail', 'fail', 'fail'];
  sink.state(state('reconnecting'));
  await waitFor(async () => (await count('decorruptor_sink_messages_total', { outcome: 'failed' })) === 1, { what: 'failed after three attempts' });
  assert.equal(receiver.posts.length, 6);
  assert.equal(await count('decorruptor_sink_retries_total'), 4);

  receiver.script = ['refuse'];
  sink.state(state('running'));
  await waitFor(async () => (await count('decorruptor_sink_messages_total', { outcome: 'failed' })) === 2, { what: 'a refused post failed' });
  assert.equal(receiver.posts.length, 7, 'a 400 is not retried');
  assert.equal(await count('decorruptor_sink_retries_total'), 4);
});

test('while the receiver stalls, frame() returns at once and posts beyond the queue are dropped and counted; close() gives up on the rest', async (t) => {
  const receiver = await WebhookReceiver.start(t);
  const { sink, count } = await hookSink(t, { url: receiver.url, cooldownSeconds: 0, timeoutMs: 5000, retries: 0, queueSize: 2 });
  receiver.answer = 'stall';

  const started = performance.now();
  for (let i = 0; i < 6; i++) {
    const { frame, inference } = labeled(`cam${i}`, 0, 'cat'); // six streams: six first labels to post
    sink.frame!(frame, inference);
  }
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 100, `six frame() calls took ${elapsed.toFixed(1)} ms`);
  await receiver.waitFor(() => receiver.posts.length === 1 || undefined, 'the first post, stalled');
  assert.equal(await count('decorruptor_sink_messages_total', { outcome: 'dropped' }), 3, 'one in flight, two queued, three dropped');
  assert.equal(await count('decorruptor_sink_queue_messages'), 2);

  await sink.close();
  assert.equal(await count('decorruptor_sink_messages_total', { outcome: 'dropped' }), 6, 'the stalled one and the queued ones are dropped at close');
  assert.equal(await count('decorruptor_sink_messages_total', { outcome: 'sent' }), 0);
  assert.equal(receiver.posts.length, 1);
});

test('label-change posts keep the cooldown per stream, the label a stream has when its cooldown ends goes out, and multipart posts carry the JPEG', async (t) => {
  const receiver = await WebhookReceiver.start(t);
  const cooldownMs = 400;
  const { sink } = await hookSink(t, { url: receiver.url, cooldownSeconds: cooldownMs / 1000, includeSnapshot: true });

  // Two live streams at 50 fps whose label flips every third frame, then settles on "ship".
  const labels = ['cat', 'dog', 'frog'];
  for (let seq = 0; seq < 150; seq++) {
    const label = seq >= 100 ? 'ship' : labels[Math.floor(seq / 3) % labels.length]!;
    for (const stream of ['a', 'b']) {
      const { frame, inference } = labeled(stream, seq, label);
      sink.frame!(frame, inference);
    }
    await sleep(20); // the frame interval of the streams
  }
  const payloads = await receiver.waitFor(() => receiver.posts.length >= 4 && receiver.posts, 'label-change posts').then(() => receiver.payloads());
  for (const stream of ['a', 'b']) {
    const posts = payloads.filter((p) => p['stream'] === stream);
    const times = posts.map((p) => Date.parse(p['at'] as string));
    for (let i = 1; i < times.length; i++) {
      assert.ok(times[i]! - times[i - 1]! >= cooldownMs - 5, `stream ${stream}: posts ${i - 1} and ${i} are ${times[i]! - times[i - 1]!} ms apart`);
    }
    assert.ok(posts.length >= 3, `stream ${stream} posted ${posts.length} times in 3 s`);
    assert.equal(posts[0]!['previousLabel'], null);
    assert.equal(posts.at(-1)!['label'], 'ship', 'the settled label went out after the cooldown');
    assert.equal(posts.at(-1)!['previousLabel'], posts.at(-2)!['label']);
  }
  const crossStream = payloads.some((p, i) => i > 0 && p['stream'] !== payloads[i - 1]!['stream'] && Date.parse(p['at'] as string) - Date.parse(payloads[i - 1]!['at'] as string) < cooldownMs);
  assert.ok(crossStream, 'the cooldown is per stream: posts of two streams may be closer');

  const post = receiver.posts[0]!;
  assert.match(post.contentType, /^multipart\/form-data; boundary=/);
  const form = await new Response(new Uint8Array(post.body), { headers: { 'content-type': post.contentType } }).formData();
  const snapshot = form.get('snapshot') as File;
  assert.equal(snapshot.type, 'image/jpeg');
  assert.deepEqual([...new Uint8Array(await snapshot.arrayBuffer()).subarray(0, 3)], [0xff, 0xd8, 0xff]);
  assert.equal(JSON.parse(await (form.get('payload') as Blob).text())['type'], 'label-change');
});

test('serve: while a webhook receiver stalls, the frame rate is unchanged; failures and drops are counted on /metrics; it recovers', async (t) => {
  const receiver = await WebhookReceiver.start(t);
  let frames = 0;
  const probe: FrameSink = { name: 'probe', frame: () => void frames++ };
  const serving = await serveInProcess(
    t,
    {
      // The stream API: after the receiver recovers, a stream added at run time makes posts for certain.
      server: { port: 0, api: { enabled: true } },
      // The shipped bundle: its labels change on a hue-rotating test pattern, so the hook has posts to make.
      // Gate off too: the editor on every frame, as the labels this test counts on were measured.
      model: { bundle: 'models/cifar10', providers: ['cpu'], intraOpThreads: 1, gate: 'off' },
      sources: [{ id: 'cam', url: 'lavfi:testsrc2=size=64x48:rate=10,hue=H=2*PI*t/3', width: 64, height: 48 }],
      // Every frame's own label: smoothing would hold the label still, and this test needs changes to post.
      smoothing: { mode: 'off' },
      sinks: { webhooks: [{ url: receiver.url, name: 'alerts', on: ['label-change', 'state'], cooldownSeconds: 0, timeoutMs: 500, retries: 1, retryDelay: FAST_RETRY, queueSize: 5 }] },
    },
    { extraSinks: [probe] },
  );
  const scrape = async (outcome: string) => (await MetricsSnapshot.fetch(serving.url.replace(/\/$/, ''))).sum('decorruptor_sink_messages_total', { sink: 'webhook:alerts', outcome });
  const framesIn = async (ms: number) => {
    const before = frames;
    await sleep(ms); // the measurement window itself
    return frames - before;
  };

  await receiver.waitFor(() => receiver.posts.length >= 3 || undefined, 'posts while the receiver answers', 60_000);
  const answering = await framesIn(3000);
  receiver.answer = 'stall';
  await receiver.waitFor(() => receiver.posts.some((p) => p.answer === 'stall') || undefined, 'a post to the stalled receiver');
  const stalled = await framesIn(3000);
  t.diagnostic(`frames in 3 s: ${answering} answering, ${stalled} stalled`);
  assert.ok(answering >= 6, `${answering} frames in 3 s while the receiver answered`);
  assert.ok(stalled >= answering * 0.6, `frames in 3 s: ${answering} while the receiver answered, ${stalled} while it stalled`);
  await waitFor(async () => (await scrape('failed')) > 0 && (await scrape('dropped')) > 0, { what: 'failed and dropped posts on /metrics' });

  receiver.answer = 'ok';
  const sentBefore = await scrape('sent');
  // Label changes on the pattern come at no fixed rate (a label can hold for a minute), so the posts
  // after recovery come from a stream added now: its start and its first label are each posted.
  const added = await fetch(new URL('api/streams', serving.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'cam2', url: 'lavfi:testsrc2=size=64x48:rate=10', width: 64, height: 48 }),
  });
  assert.equal(added.status, 201, await added.text());
  await receiver.waitFor(() => receiver.posts.some((p) => p.answer === 'ok' && p.body.includes('"cam2"')) || undefined, 'a post about the added stream');
  await waitFor(async () => (await scrape('sent')) > sentBefore, { what: 'posts sent again after the receiver recovered' });
});
