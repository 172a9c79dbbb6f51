/**
 * Smoothing and the configured sinks in the scale-out setup (issue 13), in-process against a real
 * nats-server and a real mosquitto started here: the gateway is where all of a stream's results
 * meet, so it puts them in seq order (two workers answer in any order), smooths each stream and
 * runs the MQTT sink, which hears the ingests' stream states (a source that failed to open
 * included) and a replayed stream's end after its last result, a webhook with snapshots and a
 * recording (pixels decoded back from the results' JPEGs). `run --nats` smooths in the replay
 * collector's order and publishes to MQTT as `run` does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig, type ConfigOverrides } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import type { FrameInference } from '../../src/model/index.js';
import { startClusterReplay, startGateway, startIngest, startWorker } from '../../src/runtime/index.js';
import type { StreamStateEvent } from '../../src/server/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import { MqttRecorder, startMosquitto } from '../helpers/mosquitto.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const JPEG_MAGIC = Buffer.from([0xff, 0xd8, 0xff]);

type Heard = { kind: 'frame'; streamId: string; seq: number; inference: FrameInference } | { kind: 'state'; event: StreamStateEvent };

/** A sink that keeps what reaches it, frames and states in one list, in arrival order. */
function probeSink(): FrameSink & { heard: Heard[]; frames(streamId: string): Array<Extract<Heard, { kind: 'frame' }>> } {
  const heard: Heard[] = [];
  return {
    name: 'probe',
    heard,
    frames: (streamId) => heard.filter((h): h is Extract<Heard, { kind: 'frame' }> => h.kind === 'frame' && h.streamId === streamId),
    frame: (frame, inference) => void heard.push({ kind: 'frame', streamId: frame.streamId, seq: frame.seq, inference }),
    state: (event) => void heard.push({ kind: 'state', event }),
  };
}

/** Each stream's frames once each, in seq order, smoothed, with `labelChanged` saying what the smoothed labels do. */
function assertSmoothedInOrder(frames: Array<Extract<Heard, { kind: 'frame' }>>, what: string): void {
  assert.ok(frames.length > 0, `${what}: no frames`);
  frames.forEach((f, i) => {
    assert.ok(f.inference.smoothed, `${what} #${f.seq}: smoothed`);
    if (i === 0) return;
    const before = frames[i - 1]!;
    assert.ok(f.seq > before.seq, `${what}: seq ${before.seq} then ${f.seq}`);
    assert.equal(f.inference.labelChanged, f.inference.smoothed!.label !== before.inference.smoothed!.label, `${what} #${f.seq}: labelChanged`);
  });
}

function clusterConfig(overrides: ConfigOverrides) {
  return loadConfig({ file: null, env: {}, overrides: { logLevel: 'silent', model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 }, ...overrides } });
}

/** A nats-server and a mosquitto of the test's own, an MQTT subscriber to everything, and a clip of `frames` frames. */
async function testBed(t: TestContext, frames: number) {
  const nats = await startNatsServer();
  t.after(() => nats.dispose());
  const mosquitto = await startMosquitto(t);
  const mqtt = await MqttRecorder.subscribe(t, mosquitto.url, 'decorruptor/#');
  const dir = await tempDir(t, 'cluster-sinks-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames, width: 64, height: 48, fps: 20 });
  return { cluster: { url: nats.url }, mosquitto, mqtt, dir, clip };
}

/** Two workers in small batches: results of one stream come back from both, in any order. */
async function startTwoWorkers(t: TestContext, cluster: { url: string }): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const worker = await startWorker(await clusterConfig({ cluster, batching: { maxBatch: 4 } }), { log: silentLogger });
    t.after(() => worker.stop());
  }
}

test("the gateway puts every stream in seq order across two workers, smooths it and runs the sinks: MQTT on the board's states, a webhook with snapshots, a recording", async (t) => {
  const { cluster, mosquitto, mqtt, dir, clip } = await testBed(t, 40);
  const hook = await WebhookReceiver.start(t);
  const recordings = join(dir, 'recordings');

  const probe = probeSink();
  const gateway = await startGateway(
    await clusterConfig({
      cluster,
      server: { port: 0 },
      sinks: {
        mqtt: { url: mosquitto.url },
        webhooks: [{ url: hook.url, includeSnapshot: true, cooldownSeconds: 1 }],
        recordings: { dir: recordings, segmentSeconds: 60, retentionSegments: 5, streams: ['cam'] },
      },
    }),
    { log: silentLogger, extraSinks: [probe] },
  );
  let gatewayStopped = false;
  t.after(() => !gatewayStopped && gateway.stop());
  await startTwoWorkers(t, cluster);
  const ingest = await startIngest(
    await clusterConfig({
      cluster,
      sources: [
        { id: 'cam', url: 'lavfi:testsrc2=size=64x48:rate=10', width: 64, height: 48 },
        { id: 'clip', url: clip, width: 64, height: 48 },
        { id: 'broken', url: join(dir, 'missing.mp4') },
      ],
    }),
    { log: silentLogger },
  );
  t.after(() => ingest.stop());

  // The replayed file: every frame once, in order, through whichever worker took it; then its end.
  await waitFor(() => probe.heard.some((h) => h.kind === 'state' && h.event.sourceId === 'clip' && h.event.state === 'ended'), { what: "clip's end at the gateway's sinks", timeoutMs: 60_000 });
  const clipFrames = probe.frames('clip');
  assert.deepEqual(clipFrames.map((f) => f.seq), [...Array(40).keys()]);
  assertSmoothedInOrder(clipFrames, 'clip');
  const clipEnd = probe.heard.findIndex((h) => h.kind === 'state' && h.event.sourceId === 'clip' && h.event.state === 'ended');
  assert.ok(clipEnd > probe.heard.lastIndexOf(clipFrames.at(-1)!), "the end comes after the file's last result");

  await waitFor(() => probe.frames('cam').length >= 10, { what: 'ten live frames at the gateway', timeoutMs: 30_000 });
  assertSmoothedInOrder(probe.frames('cam'), 'cam');

  // MQTT from the gateway: the board's states (the failed source too), labels, episodes, a JPEG snapshot.
  const lastState = (stream: string) => mqtt.json(`decorruptor/${stream}/state`).at(-1);
  const failed = await mqtt.waitFor(() => lastState('broken')?.['state'] === 'error' && lastState('broken'), 'broken/state error');
  assert.equal(failed['code'], 'SOURCE_UNREADABLE');
  await mqtt.waitFor(() => lastState('cam')?.['state'] === 'running', 'cam/state running');
  // The gateway's probe heard the end first; the broker may deliver it to this client a little later.
  await mqtt.waitFor(() => lastState('clip')?.['state'] === 'ended', 'clip/state ended');
  const label = await mqtt.waitFor(() => mqtt.json('decorruptor/cam/label')[0], 'a cam label');
  assert.equal(typeof label['label'], 'string');
  await mqtt.waitFor(() => mqtt.json<{ type: string }>('decorruptor/cam/events').find((e) => e.type === 'start'), 'a cam episode start');
  const snapshot = await mqtt.waitFor(() => mqtt.messagesOn('decorruptor/cam/snapshot')[0], 'a cam snapshot');
  assert.deepEqual(snapshot.payload.subarray(0, 3), JPEG_MAGIC, 'the edit, decoded from its JPEG and encoded for the snapshot');
  await mqtt.waitForText('decorruptor/available', 'online');

  // The webhook's label change carries the edited frame as a JPEG, decoded back from the result.
  const post = await hook.waitFor(() => hook.posts.find((p) => p.contentType.startsWith('multipart/form-data') && p.body.includes('"stream":"cam"')), 'a label-change post of cam with its snapshot');
  assert.ok(post.body.includes(JPEG_MAGIC), 'the snapshot part is a JPEG');

  // The ingest stops cleanly: its streams leave the board, and the sinks hear they ended.
  await ingest.stop();
  await mqtt.waitFor(() => lastState('cam')?.['state'] === 'ended', 'cam/state ended once its ingest stopped', 30_000);
  await mqtt.waitFor(() => lastState('broken')?.['state'] === 'ended', 'broken/state ended once off the board', 30_000);
  // The recording of cam holds the frames the gateway drew on (its segment finished at the end).
  gatewayStopped = true;
  await gateway.stop();
  const [segment] = readdirSync(recordings).filter((name) => name.startsWith('cam-'));
  assert.ok(segment, `a segment of cam in ${readdirSync(recordings).join(', ')}`);
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width', '-of', 'csv=p=0', join(recordings, segment)]);
  const [width, frames] = stdout.trim().split(',').map(Number);
  assert.equal(width, 64, "the frames at the ingest's display size");
  assert.ok(frames! >= 10, `${frames} frames recorded`);
});

test('run --nats smooths in seq order and publishes to MQTT like run; its end reaches MQTT after its last label', async (t) => {
  const { cluster, mosquitto, mqtt, dir, clip } = await testBed(t, 30);
  const out = join(dir, 'labels.jsonl');
  await startTwoWorkers(t, cluster);
  const probe = probeSink();
  const replaying = await startClusterReplay(
    await clusterConfig({ cluster, sources: [{ id: 'replay', url: clip }], sinks: { jsonl: { path: out }, mqtt: { url: mosquitto.url } } }),
    { log: silentLogger, extraSinks: [probe] },
  );
  const { counts } = await replaying.done;
  assert.equal(counts.written, 30);
  assertSmoothedInOrder(probe.frames('replay'), 'replay');
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; label: string; raw?: { label: string } });
  assert.deepEqual(lines.map((l) => l.seq), [...Array(30).keys()]);
  assert.ok(lines.every((l) => l.raw !== undefined), 'each line has the raw label beside the smoothed one');
  assert.deepEqual(lines.map((l) => l.label), probe.frames('replay').map((f) => f.inference.smoothed!.label));
  const last = probe.heard.at(-1);
  assert.ok(last?.kind === 'state' && last.event.state === 'ended', 'the sinks hear the end after the last frame');

  await mqtt.waitFor(() => mqtt.json('decorruptor/replay/state').at(-1)?.['state'] === 'ended', 'replay/state ended');
  const labels = mqtt.json<{ label: string }>('decorruptor/replay/label');
  assert.equal(labels.at(-1)?.label, lines.at(-1)!.label, 'the last label published is the last line\'s');
  await mqtt.waitForText('decorruptor/available', 'offline');
});
