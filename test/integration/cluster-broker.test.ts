/**
 * The broker parts against a real nats-server, in-process and without a model: the topology is
 * idempotent and updates what may change, the LIVE stream keeps only the newest frame per stream,
 * a replay publisher waits on a full stream instead of dropping, and the replay collector writes
 * each result once, in order; an ingest and a gateway in-process carry set-corruption and stream
 * states across the broker.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Subject, ReplaySubject } from 'rxjs';
import {
  BrokerConnection,
  consumerConfigs,
  CONSUMERS,
  decodeFrame,
  encodeResult,
  ensureTopology,
  FramePublisher,
  ReplayCollector,
  STREAMS,
  SUBJECTS,
  type DecodedResult,
} from '../../src/cluster/index.js';
import { clusterSchema } from '../../src/config/cluster.js';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, startIngest } from '../../src/runtime/index.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import type { FlowSource } from '../../src/flow/frame-flow.js';
import { silentLogger } from '../../src/log/index.js';
import type { FrameInference } from '../../src/model/index.js';
import type { Frame, SourceStateEvent } from '../../src/stream/index.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';

let nats: NatsServer;
let broker: BrokerConnection;
const settings = clusterSchema.parse({ replay: { maxFrames: 16, ackWaitMs: 1000 } });

before(async () => {
  nats = await startNatsServer();
  broker = await BrokerConnection.connect({ url: nats.url, name: 'test', log: silentLogger });
  await ensureTopology(broker.jsm, settings, silentLogger);
});
after(async () => {
  await broker?.close();
  await nats?.dispose();
});

const frameOf = (streamId: string, seq: number): Frame => ({
  streamId,
  seq,
  ptsMs: seq * 40,
  capturedAt: performance.now(),
  width: 8,
  height: 8,
  data: new Uint8Array(8 * 8 * 3).fill(seq % 255),
  discontinuity: seq === 0,
});

/** A replayed source that gives every frame at once and counts what the publisher releases. */
function replaySource(id: string, count: number): FlowSource & { released: number; emit(): void } {
  const frames = new Subject<Frame>();
  const source = {
    id,
    mode: 'replay' as const,
    frames$: frames.asObservable(),
    states$: new ReplaySubject<SourceStateEvent>(1).asObservable(),
    released: 0,
    start() {},
    release(n = 1) {
      source.released += n;
    },
    async stop() {
      frames.complete();
    },
    emit() {
      for (let seq = 0; seq < count; seq++) frames.next(frameOf(id, seq));
      frames.complete();
    },
  };
  return source;
}

test('ensureTopology: a second run changes nothing, a changed ack_wait is applied in place', async () => {
  const before = await broker.jsm.streams.info(STREAMS.live);
  await ensureTopology(broker.jsm, settings, silentLogger);
  const live = await broker.jsm.streams.info(STREAMS.live);
  assert.equal(live.state.first_seq, before.state.first_seq);
  assert.equal(live.config.max_msgs_per_subject, 1);
  assert.equal(live.config.storage, 'memory');
  assert.equal(live.config.discard, 'old');
  const replay = await broker.jsm.streams.info(STREAMS.replay);
  assert.equal(replay.config.retention, 'workqueue');
  assert.equal(replay.config.discard, 'new');
  assert.equal(replay.config.max_msgs, 16);

  const slower = clusterSchema.parse({ replay: { maxFrames: 16, ackWaitMs: 4000 } });
  await ensureTopology(broker.jsm, slower, silentLogger);
  const consumer = await broker.jsm.consumers.info(STREAMS.replay, CONSUMERS.replay);
  assert.equal(consumer.config.ack_wait, consumerConfigs(slower)[1]!.config.ack_wait);
  await ensureTopology(broker.jsm, settings, silentLogger);
});

test('the LIVE stream keeps only the newest frame of each stream', async () => {
  for (let seq = 0; seq < 5; seq++) broker.nc.publish(SUBJECTS.liveFrames('only-newest'), Uint8Array.from([seq]));
  broker.nc.publish(SUBJECTS.liveFrames('other'), Uint8Array.from([9]));
  await broker.nc.flush();
  const newest = await broker.jsm.streams.getMessage(STREAMS.live, { last_by_subj: SUBJECTS.liveFrames('only-newest') });
  assert.deepEqual([...newest!.data], [4]);
  const info = await broker.jsm.streams.info(STREAMS.live, { subjects_filter: '>' });
  assert.equal(info.state.subjects?.[SUBJECTS.liveFrames('only-newest')], 1);
  assert.equal(info.state.subjects?.[SUBJECTS.liveFrames('other')], 1);
});

test('a replay publisher waits while the work queue is full and loses nothing once workers take frames', async () => {
  const source = replaySource('file', 40);
  const publisher = FramePublisher.start({ stream: { source }, broker, origin: { ingest: 'test', job: 'jfull' }, jpegQuality: 80, log: silentLogger });
  source.emit();
  await waitFor(() => publisher.stats.published === 16 && publisher.stats.retries > 0, { what: '16 frames stored, then refused (the queue is full)' });
  assert.equal(source.released, 16, 'only stored frames are released to the source');

  const consumer = await broker.js.consumers.get(STREAMS.replay, CONSUMERS.replay);
  const seen: number[] = [];
  while (seen.length < 40) {
    for await (const msg of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
      seen.push(decodeFrame(msg.data).frame.seq);
      msg.ack();
    }
  }
  await publisher.done;
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i), 'every frame once, in order');
  assert.equal(source.released, 40);
});

test('the replay collector writes each result once, in seq order, whatever order and repeats they come in', async () => {
  const job = 'jcollect';
  const written: DecodedResult[] = [];
  const collector = await ReplayCollector.start({ broker, job, log: silentLogger, deliver: (r) => written.push(r) });
  const inference: FrameInference = {
    source: { label: 'cat', index: 3, confidence: 1, topk: [] },
    edited: null,
    ensemble: { label: 'cat', index: 3, confidence: 1, topk: [] },
    distribution: new Float32Array(0),
    gate: null,
    editedImage: null,
    timings: { queueMs: 0, preprocessMs: 0, classifyMs: 0, gateMs: 0, encodeMs: 0, unetMs: 0, decodeMs: 0, ensembleMs: 0, totalMs: 0, batchSize: 1 },
  };
  const publish = (seq: number) => broker.js.publish(SUBJECTS.replayResults(job, 'file'), encodeResult(frameOf('file', seq), { ingest: 'test', job }, 'w', inference, { source: Uint8Array.from([1]), edited: null }));
  for (const seq of [0, 1, 2, 3, 4]) collector.expect('file', seq);
  for (const seq of [2, 0, 2, 4, 1, 0]) await publish(seq);
  await waitFor(() => written.length === 3, { what: 'seq 0..2 written' });
  assert.deepEqual(written.map((r) => r.frame.seq), [0, 1, 2], 'seq 3 is missing: 4 waits');
  collector.finish();
  await publish(3);
  const counts = await collector.done;
  assert.deepEqual(written.map((r) => r.frame.seq), [0, 1, 2, 3, 4]);
  assert.deepEqual(counts, { written: 5, duplicates: 2, dead: 0 });
  await collector.stop();
});

test('ingest + gateway in-process: stream states and set-corruption travel over the broker; /readyz says NO_WORKER', async () => {
  const overrides = { logLevel: 'silent' as const, cluster: { url: nats.url }, server: { port: 0 } };
  const ingest = await startIngest(await loadConfig({ file: undefined, overrides: { ...overrides, sources: [{ id: 'feed', url: 'lavfi:testsrc2=size=32x24:rate=5', width: 32, height: 24, corrupt: 'fog:2' }] } }), { log: silentLogger });
  const gateway = await startGateway(await loadConfig({ file: undefined, overrides }), { log: silentLogger });
  const client = await RecordingClient.connect(`${gateway.url.replace(/^http/, 'ws')}ws`);
  try {
    await client.waitFor(() => client.states('feed').some((m) => m['state'] === 'running'), "the ingest's 'running' state");
    const readyz = await (await fetch(`${gateway.url}readyz`)).json() as { ready: boolean; reason?: string };
    assert.deepEqual([readyz.ready, readyz.reason], [false, 'NO_WORKER']);

    client.ws.send(JSON.stringify({ type: 'set-corruption', streamId: 'feed', corruption: 'snow:5' }));
    const changed = await client.waitFor(() => client.messages.find((m) => m.type === 'corruption'), 'the corruption change');
    assert.deepEqual(changed, { type: 'corruption', streamId: 'feed', corruption: 'snow:5' });
    client.ws.send(JSON.stringify({ type: 'set-corruption', streamId: 'feed', corruption: 'no-such:9' }));
    const refused = await client.waitFor(() => client.messages.find((m) => m.type === 'error'), 'the refusal');
    assert.equal(refused['code'], 'REJECTED');
    assert.match(String(refused['message']), /no-such/, "the ingest's own reason reaches the dashboard");

    // A dashboard that connects later is told the new setting.
    const late = await RecordingClient.connect(`${gateway.url.replace(/^http/, 'ws')}ws`);
    const stream = (late.hello!['streams'] as Array<{ id: string; corruption?: string | null }>).find((s) => s.id === 'feed');
    late.close();
    assert.equal(stream?.corruption, 'snow:5');
  } finally {
    client.close();
    await ingest.stop();
    await gateway.stop();
  }
});
