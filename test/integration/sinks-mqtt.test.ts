/**
 * The MQTT sink against a real mosquitto started by each test on a port of its own: serve's topics
 * from a lavfi stream (available, retained state, label, episode events, snapshot, stats), a late
 * subscriber's retained view, `offline` on a clean stop and as the last will of a SIGKILLed
 * process, and a broker that comes up only after serve: the flow never waits for it.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { MetricsSnapshot } from '../../src/bench/prometheus.js';
import type { ConfigOverrides } from '../../src/config/index.js';
import type { ServeHandle } from '../../src/runtime/index.js';
import { freePort } from '../helpers/free-port.js';
import { MqttRecorder, startMosquitto } from '../helpers/mosquitto.js';
import { FIXTURE_BUNDLE, startServe as startServeCli } from '../helpers/reliability-cli.js';
import { serveInProcess } from '../helpers/serve-session.js';
import { waitFor } from '../helpers/wait.js';

const LAVFI = 'lavfi:testsrc2=size=64x48:rate=10';
const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

function serveWithMqtt(t: TestContext, mqtt: NonNullable<NonNullable<ConfigOverrides['sinks']>['mqtt']>): Promise<ServeHandle> {
  return serveInProcess(t, {
    server: { port: 0 },
    model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
    sources: [{ id: 'cam', url: LAVFI, width: 64, height: 48, corrupt: 'fog:3' }],
    sinks: { mqtt },
  });
}

const metrics = (serving: ServeHandle) => MetricsSnapshot.fetch(serving.url.replace(/\/$/, ''));

test('serve publishes available, state, label, episode events, a JPEG snapshot and stats; a late subscriber gets the retained ones; stop() says offline', async (t) => {
  const broker = await startMosquitto(t);
  const early = await MqttRecorder.subscribe(t, broker.url, 'decorruptor/#');
  const serving = await serveWithMqtt(t, { url: broker.url, statsIntervalMs: 300 });

  await early.waitForText('decorruptor/available', 'online');
  await early.waitFor(() => early.json('decorruptor/cam/state').find((s) => s['state'] === 'running'), 'state running');
  const label = await early.waitFor(() => early.json('decorruptor/cam/label')[0], 'a label');
  assert.equal(typeof label['label'], 'string');
  assert.equal(typeof label['confidence'], 'number');
  assert.equal(typeof (label['source'] as { label: unknown }).label, 'string', 'the source-only label');
  assert.equal(label['corruption'], 'fog:3', 'the corruption the test feed carries');
  const start = await early.waitFor(() => early.json<{ type: string; before: unknown; after: { label: string; topk: unknown[] } }>('decorruptor/cam/events').find((e) => e.type === 'start'), 'an episode start');
  assert.equal(start.before, null);
  assert.equal(start.after.label, label['label']);
  assert.ok(start.after.topk.length > 0);
  const snapshot = await early.waitFor(() => early.messagesOn('decorruptor/cam/snapshot')[0], 'a snapshot');
  assert.deepEqual(snapshot.payload.subarray(0, 3), JPEG_MAGIC, 'the snapshot is a JPEG');
  const stats = await early.waitFor(
    () => early.json<{ streams: Record<string, { frames: number; fps: number }> }>('decorruptor/stats').find((s) => (s.streams['cam']?.fps ?? 0) > 0),
    'stats with a frame rate',
  );
  assert.ok(stats.streams['cam']!.frames > 0);

  const late = await MqttRecorder.subscribe(t, broker.url, 'decorruptor/#');
  for (const topic of ['decorruptor/available', 'decorruptor/cam/state', 'decorruptor/cam/label', 'decorruptor/cam/snapshot']) {
    const retained = await late.waitFor(() => late.messagesOn(topic).find((m) => m.retain), `retained ${topic}`);
    if (topic.endsWith('available')) assert.equal(retained.payload.toString(), 'online');
    if (topic.endsWith('state')) assert.equal(JSON.parse(retained.payload.toString()).state, 'running');
  }
  assert.equal(late.messages.some((m) => m.retain && /\/(events|stats)$/.test(m.topic)), false, 'events and stats are not retained');

  const scrape = await metrics(serving);
  assert.ok(scrape.sum('decorruptor_sink_messages_total', { sink: 'mqtt', outcome: 'sent' }) > 0, 'sent messages are counted on /metrics');
  assert.equal(scrape.sum('decorruptor_sink_connected', { sink: 'mqtt' }), 1);

  await serving.stop();
  await early.waitForText('decorruptor/available', 'offline');
  const end = early.json<{ type: string; after: { endedAt: string | null } }>('decorruptor/cam/events').find((e) => e.type === 'end');
  assert.ok(end?.after.endedAt, 'the running episode ended before the sink said offline');
  assert.equal(early.json('decorruptor/cam/state').at(-1)!['state'], 'ended');
});

test('a broker that is down at start: the flow runs on, messages beyond the buffer are dropped and counted, and the sink connects once the broker comes up', async (t) => {
  const port = await freePort();
  const serving = await serveWithMqtt(t, {
    url: `mqtt://127.0.0.1:${port}`,
    statsIntervalMs: 200,
    bufferSize: 2,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    connectTimeoutMs: 1000,
  });
  const processed = async () => (await metrics(serving)).sum('decorruptor_frames_processed_total', { stream: 'cam' });

  // Frames reach the dashboard sink (its counter) while the broker is away...
  await waitFor(async () => (await processed()) >= 5, { what: 'five frames processed with the broker down' });
  const whileDown = await metrics(serving);
  assert.equal(whileDown.sum('decorruptor_sink_connected', { sink: 'mqtt' }), 0);
  await waitFor(async () => (await metrics(serving)).sum('decorruptor_sink_messages_total', { sink: 'mqtt', outcome: 'dropped' }) > 0, {
    what: 'messages beyond the two-message buffer dropped and counted',
  });

  // ...and on after it comes up, which the sink notices by itself.
  const beforeBroker = await processed();
  const broker = await startMosquitto(t, { port });
  const subscriber = await MqttRecorder.subscribe(t, broker.url, 'decorruptor/#');
  await subscriber.waitForText('decorruptor/available', 'online');
  await subscriber.waitFor(() => subscriber.messagesOn('decorruptor/stats').length >= 2, 'stats after the connection');
  await waitFor(async () => (await metrics(serving)).sum('decorruptor_sink_connected', { sink: 'mqtt' }) === 1, { what: 'sink_connected 1' });
  const afterConnect = await processed();
  assert.ok(afterConnect > beforeBroker, `frames kept flowing through the outage and the reconnection (${beforeBroker} -> ${afterConnect})`);
  // The buffer dropped most of what happened meanwhile; the sink publishes the current state again on connecting.
  const state = await subscriber.waitFor(() => subscriber.json('decorruptor/cam/state').at(-1), 'the state');
  assert.equal(state['state'], 'running');
  await subscriber.waitFor(() => subscriber.messagesOn('decorruptor/cam/label')[0], 'the label');
});

test('the last will: a serve process SIGKILLed leaves "offline" on <prefix>/available', async (t) => {
  const broker = await startMosquitto(t);
  const subscriber = await MqttRecorder.subscribe(t, broker.url, 'decorruptor/available');
  const serve = await startServeCli(['--source', `cam=${LAVFI}`, '--bundle', FIXTURE_BUNDLE, '--mqtt', broker.url]);
  t.after(() => serve.cli.kill());
  await subscriber.waitForText('decorruptor/available', 'online', 60_000);
  const offlineBefore = subscriber.messagesOn('decorruptor/available').filter((m) => m.payload.toString() === 'offline').length;
  assert.equal(offlineBefore, 0);
  await serve.cli.kill(); // SIGKILL: no chance to say goodbye; the broker publishes the will
  await subscriber.waitForText('decorruptor/available', 'offline');
});

test('every stream reaches the sinks: a configured source that fails to open says error on <stream>/state; one added through the stream API runs with its regions and says ended once removed', async (t) => {
  const broker = await startMosquitto(t);
  const subscriber = await MqttRecorder.subscribe(t, broker.url, 'decorruptor/#');
  const token = 'mqtt-stream-api-token-0123';
  const serving = await serveInProcess(t, {
    server: { port: 0, auth: { token }, api: { enabled: true } },
    model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
    sources: [
      { id: 'cam', url: LAVFI, width: 64, height: 48 },
      { id: 'broken', url: '/nonexistent/clip.mp4' },
    ],
    sinks: { mqtt: { url: broker.url } },
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    const res = await fetch(`${serving.url}api/streams${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const lastState = (stream: string) => subscriber.json(`decorruptor/${stream}/state`).at(-1);

  const failed = await subscriber.waitFor(() => lastState('broken')?.['state'] === 'error' && lastState('broken'), 'the failed source on broken/state');
  assert.equal(failed['code'], 'SOURCE_UNREADABLE');
  assert.match(String(failed['message']), /broken/);

  const added = await api('POST', '', { id: 'added', url: LAVFI, width: 64, height: 48, regions: [{ id: 'door', x: 0, y: 0, width: 0.5, height: 0.5 }] });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  await subscriber.waitFor(() => lastState('added')?.['state'] === 'running', 'the added stream running on added/state');
  await subscriber.waitFor(() => subscriber.messagesOn('decorruptor/added/label')[0], "the added stream's label");
  await subscriber.waitFor(() => subscriber.messagesOn('decorruptor/added.door/label')[0], "the label of the added stream's region");
  // A region whose stream id is a running stream's is refused before anything opens.
  assert.equal((await api('POST', '', { id: 'yard.gate', url: LAVFI, width: 64, height: 48 })).status, 201);
  const clash = await api('POST', '', { id: 'yard', url: LAVFI, regions: [{ id: 'gate', x: 0, y: 0, width: 1, height: 1 }] });
  assert.equal(clash.status, 409);
  assert.match((clash.body['error'] as { message: string }).message, /region "gate"/);
  assert.equal((await api('GET', '/yard')).status, 404, 'nothing of it was added');
  assert.equal((await api('DELETE', '/yard.gate')).status, 200);

  assert.equal((await api('DELETE', '/added')).status, 200);
  await subscriber.waitFor(() => lastState('added')?.['state'] === 'ended', 'added/state ended after the DELETE');
  await subscriber.waitFor(() => lastState('added.door')?.['state'] === 'ended', "the region's stream ended with it");
  assert.equal((await api('DELETE', '/broken')).status, 200);
  await subscriber.waitFor(() => lastState('broken')?.['state'] === 'ended', 'broken/state ended once the failed source is removed');
  await subscriber.waitFor(() => lastState('cam')?.['state'] === 'running', 'the configured stream running on');
});
