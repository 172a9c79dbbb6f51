/**
 * A webhook attempt times out even when garbage collections run while the receiver stalls. On
 * Node 20, fetch with AbortSignal.any([AbortSignal.timeout(), ...]) never gave up after a GC (the
 * composite signal was collected), so one stalled receiver stopped a hook for good: this is the
 * regression test of that (issue 19's stalled-and-recovered serve case).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { silentLogger } from '../../src/log/index.js';
import { NO_SINK_METRICS, type SinkMetrics } from '../../src/sinks/index.js';
import { attemptSignal, WebhookDelivery } from '../../src/sinks/webhook-delivery.js';
import { waitFor } from '../helpers/wait.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

// gc() for this test alone, without a flag on the whole suite's command line.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

test('attempts to a stalled receiver time out while collections run, and the next post goes out once it answers', async (t) => {
  const receiver = await WebhookReceiver.start(t);
  receiver.answer = 'stall';
  const outcomes: string[] = [];
  const metrics: SinkMetrics = { ...NO_SINK_METRICS, sinkMessages: (_name, outcome) => void outcomes.push(outcome) };
  const delivery = new WebhookDelivery({
    url: receiver.url,
    headers: {},
    timeoutMs: 300,
    retries: 0,
    retryDelay: { initialDelayMs: 10, maxDelayMs: 10 },
    queueSize: 4,
    name: 'webhook:gc',
    log: silentLogger,
    metrics,
  });
  t.after(() => delivery.close());
  const collecting = setInterval(gc, 20);
  t.after(() => clearInterval(collecting));

  const post = (what: string) => delivery.enqueue({ what, request: async () => ({ body: JSON.stringify({ what }), contentType: 'application/json' }) });
  post('first');
  post('second');
  await waitFor(() => outcomes.length === 2, { what: 'both stalled posts given up', timeoutMs: 5000 });
  assert.deepEqual(outcomes, ['failed', 'failed']);
  assert.equal(receiver.posts.length, 2);

  receiver.answer = 'ok';
  post('third');
  await waitFor(() => outcomes.length === 3, { what: 'the post after recovery', timeoutMs: 5000 });
  assert.equal(outcomes[2], 'sent');
});

test("an attempt's signal aborts at its deadline or with its parent, and dispose() stops both", async () => {
  const parent = new AbortController();
  const timed = attemptSignal(30, parent.signal);
  await new Promise((resolve) => timed.signal.addEventListener('abort', resolve, { once: true }));
  assert.equal((timed.signal.reason as Error).name, 'TimeoutError');
  timed.dispose();

  const followed = attemptSignal(10_000, parent.signal);
  parent.abort(new Error('closing'));
  assert.equal(followed.signal.aborted, true);
  assert.equal((followed.signal.reason as Error).message, 'closing');
  followed.dispose();

  const disposed = attemptSignal(20, new AbortController().signal);
  disposed.dispose();
  await new Promise((resolve) => setTimeout(resolve, 60)); // past the deadline it no longer has
  assert.equal(disposed.signal.aborted, false);
});
