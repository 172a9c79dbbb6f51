/**
 * Scale-out on NATS JetStream (issue 13), with real processes: a nats-server started here, and the
 * CLI's ingest, worker, gateway and `run --nats` roles as child processes. One cluster (two ingests,
 * workers, one gateway) carries the first four cases in order: labeled frames of every stream, a
 * worker SIGKILLed, a distributed replay that loses a worker half-way, and a broker restart. The
 * live-overload case runs on a cluster of its own (one worker, four 30 fps streams) once the first
 * is gone, so that the two do not share the CPU.
 */
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { CliProcess, FIXTURE_BUNDLE, getJson, REPO_ROOT } from '../helpers/reliability-cli.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SHIPPED_BUNDLE = join(REPO_ROOT, 'models/cifar10');
const processes: CliProcess[] = [];
const brokers: NatsServer[] = [];
const dirs: string[] = [];

after(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await Promise.all(brokers.map((b) => b.dispose()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function workDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cluster-test-'));
  dirs.push(dir);
  return dir;
}

/** Settings every process of a cluster shares: the fixture bundle on one thread each, a short ack_wait. */
function baseConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logLevel: 'info',
    // DPM with many steps: a worker slow enough (tens of frames/s) that overload and a mid-run kill are real.
    model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1, editor: 'dpm', steps: 50 },
    cluster: { replay: { ackWaitMs: 2000 } },
    ...extra,
  };
}

async function configFile(dir: string, name: string, config: Record<string, unknown>): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(config));
  return path;
}

const lavfi = (id: string, rate: number) => ({ id, url: `lavfi:testsrc2=size=64x48:rate=${rate}`, width: 64, height: 48 });

/** Spawns a role and waits for the line that says it is up; killed when the file's tests end. */
async function spawnRole(args: string[], ready: RegExp): Promise<CliProcess> {
  const cli = new CliProcess(args);
  processes.push(cli);
  await cli.waitForStderr(ready, 60_000);
  return cli;
}

const spawnIngest = (config: string, url: string) => spawnRole(['ingest', '--config', config, '--nats', url], /publishing \d+ stream/);
const spawnWorker = (config: string, url: string) => spawnRole(['worker', '--config', config, '--nats', url], /worker \S+: model/);
async function spawnGateway(config: string, url: string): Promise<{ cli: CliProcess; httpUrl: string; wsUrl: string }> {
  const cli = await spawnRole(['gateway', '--config', config, '--nats', url, '--port', '0'], /dashboard on http:\/\/[^\s/]+\//);
  const httpUrl = /dashboard on (http:\/\/[^\s/]+)\//.exec(cli.stderr)![1]!;
  return { cli, httpUrl, wsUrl: `${httpUrl.replace(/^http/, 'ws')}/ws` };
}

/** Frames of `streamId` captured (at the ingest) after `since`, epoch ms. */
const framesSince = (client: RecordingClient, streamId: string, since: number) => client.frames.filter((f) => f.streamId === streamId && f.capturedAt > since);

interface ClusterA {
  nats: NatsServer;
  dir: string;
  config: string;
  ingests: CliProcess[];
  workers: CliProcess[];
  gateway: { cli: CliProcess; httpUrl: string; wsUrl: string };
  client: RecordingClient;
}

const STREAMS_A = ['cam1', 'cam2', 'cam3'];
let clusterA: ClusterA | undefined;

test('two ingests (lavfi), two workers and a gateway: a ws client receives labeled frames of every stream', async () => {
  const nats = await startNatsServer();
  brokers.push(nats);
  const dir = await workDir();
  const config = await configFile(dir, 'base', baseConfig());
  const ingest1 = await configFile(dir, 'ingest1', baseConfig({ sources: [lavfi('cam1', 10)] }));
  const ingest2 = await configFile(dir, 'ingest2', baseConfig({ sources: [lavfi('cam2', 10), lavfi('cam3', 10)] }));
  const [i1, i2, w1, w2, gateway] = await Promise.all([
    spawnIngest(ingest1, nats.url),
    spawnIngest(ingest2, nats.url),
    spawnWorker(config, nats.url),
    spawnWorker(config, nats.url),
    spawnGateway(config, nats.url),
  ]);
  const client = await RecordingClient.connect(gateway.wsUrl);
  clusterA = { nats, dir, config, ingests: [i1, i2], workers: [w1, w2], gateway, client };

  const labels = await client.waitFor(() => {
    const hellos = client.messages.filter((m) => m.type === 'hello' && Array.isArray(m['labels']) && (m['labels'] as string[]).length > 0);
    return hellos.at(-1)?.['labels'] as string[] | undefined;
  }, "a hello with the workers' labels");
  for (const streamId of STREAMS_A) {
    const [frame] = await client.moreFrames(1, streamId, 20_000);
    assert.ok(labels.includes(frame!.ensemble.label), `${streamId}: "${frame!.ensemble.label}" is one of the model's labels`);
    assert.ok(frame!.images.source.length > 0, `${streamId}: the frame carries the ingest's JPEG`);
    assert.equal(frame!.images.source.width, 64);
  }
  const hello = client.messages.filter((m) => m.type === 'hello').at(-1)!;
  const streams = (hello['streams'] as Array<{ id: string; state: string }>).map((s) => s.id).sort();
  assert.deepEqual(streams, STREAMS_A, 'the gateway knows every stream from the ingests');
  const ready = await getJson(`${gateway.httpUrl}/readyz`);
  assert.equal(ready.status, 200, JSON.stringify(ready.body));
});

test('SIGKILL of one worker: frames of every stream keep coming within 5 s through the other', async (t) => {
  assert.ok(clusterA, 'the cluster of the first test is up');
  const { client, workers } = clusterA;
  const victim = workers[0]!;
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  await victim.exited;
  for (const streamId of STREAMS_A) {
    await client.waitFor(() => framesSince(client, streamId, killedAt).length >= 3, `3 frames of ${streamId} captured after the kill`, 5000 - (Date.now() - killedAt));
  }
  t.diagnostic(`every stream had 3 new frames ${Date.now() - killedAt} ms after the kill`);
  assert.ok(workers[1]!.running, 'the other worker runs on');
});

test('run --nats on a 300-frame file while one of two workers is SIGKILLed half-way: 300 lines, seq 0..299, each once', async (t) => {
  assert.ok(clusterA, 'the cluster of the first test is up');
  const { nats, dir, config } = clusterA;
  const extra = await spawnWorker(config, nats.url);
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 300, width: 64, height: 48, fps: 25 });
  const out = join(dir, 'replay.jsonl');
  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter((l) => l !== '') : []);
  const run = new CliProcess(['run', '--config', config, '--nats', nats.url, '--source', clip, '--out', out]);
  processes.push(run);

  await waitFor(() => lines().length >= 60 || !run.running, { what: '60 lines written', timeoutMs: 60_000, detail: () => run.stderr });
  assert.ok(run.running, `the run is still going when the worker is killed; stderr:\n${run.stderr}`);
  extra.child.kill('SIGKILL');
  const atKill = lines().length;
  assert.ok(atKill < 300, `killed half-way (${atKill} lines written)`);

  const exit = await run.exit(90_000);
  assert.equal(exit.code, 0, `run exits 0; stderr:\n${run.stderr}`);
  const seqs = lines().map((line) => (JSON.parse(line) as { seq: number; streamId: string; label: string }).seq);
  assert.equal(seqs.length, 300, 'one line per frame');
  assert.deepEqual(seqs, Array.from({ length: 300 }, (_, i) => i), 'seq 0..299, in order, each once');
  assert.match(run.stderr, /300 frames in/);
  // The killed worker held frames it had not acked: the broker gave them to the other one.
  const nc = await connect({ servers: nats.url });
  try {
    const consumer = await (await jetstreamManager(nc)).consumers.info('DECORRUPTOR_REPLAY', 'replay-workers');
    // Every delivery counts a consumer sequence, redeliveries too: more of them than frames stored means redeliveries.
    const { consumer_seq: deliveries, stream_seq: stored } = consumer.delivered;
    assert.ok(deliveries > stored, `frames were redelivered (${deliveries} deliveries of ${stored} frames)`);
    t.diagnostic(`${deliveries - stored} redeliveries`);
    assert.equal(consumer.num_ack_pending, 0, 'nothing is left unacked');
  } finally {
    await nc.close();
  }
  t.diagnostic(`killed at ${atKill} lines; ${/\d+ duplicate results dropped/.exec(run.stderr)?.[0] ?? run.stderr}`);
});

test('broker restarted under load: ingests, workers and the gateway resume by themselves; /readyz says not ready meanwhile', async (t) => {
  assert.ok(clusterA, 'the cluster of the first test is up');
  const { nats, client, gateway, ingests, workers } = clusterA;
  const survivors = [...ingests, workers[1]!, gateway.cli];
  await nats.stop();
  await waitFor(
    async () => {
      const { status, body } = await getJson(`${gateway.httpUrl}/readyz`);
      return status === 503 && body['reason'] === 'BROKER_UNAVAILABLE';
    },
    { what: '/readyz 503 BROKER_UNAVAILABLE', timeoutMs: 10_000 },
  );
  // The outage itself: a second without a broker.
  await sleep(1000);
  const restartedAt = Date.now();
  await nats.start();
  for (const streamId of STREAMS_A) {
    await client.waitFor(() => framesSince(client, streamId, restartedAt).length >= 2, `frames of ${streamId} captured after the restart`, 30_000);
  }
  t.diagnostic(`frames of every stream again ${Date.now() - restartedAt} ms after the broker came back`);
  await waitFor(async () => (await getJson(`${gateway.httpUrl}/readyz`)).status === 200, { what: '/readyz 200 again', timeoutMs: 10_000 });
  for (const cli of survivors) assert.ok(cli.running, `pid ${cli.pid} still runs (no restart)`);
  assert.ok(client.ws.readyState === client.ws.OPEN, 'the dashboard client stayed connected');

  // Cluster A is done: free the CPU for the overload case.
  client.close();
  await Promise.all(processes.map((p) => p.kill()));
  await nats.stop();
});

test('live overload (one worker, four 30 fps streams): latency stays bounded, drops are counted per stream in /metrics', async (t) => {
  const nats = await startNatsServer();
  brokers.push(nats);
  const dir = await workDir();
  const ids = ['c1', 'c2', 'c3', 'c4'];
  // The shipped bundle's DPM-20 on one thread runs ~25 frames/s on a CPU: 120 offered is an
  // overload on any machine CI runs on (the fixture bundle would keep up on an idle one).
  const config = await configFile(dir, 'base', baseConfig({ model: { bundle: SHIPPED_BUNDLE, intraOpThreads: 1, editor: 'dpm', steps: 20 } }));
  const ingestConfig = await configFile(dir, 'ingest', baseConfig({ sources: ids.map((id) => lavfi(id, 30)) }));
  const [, , gateway] = await Promise.all([spawnIngest(ingestConfig, nats.url), spawnWorker(config, nats.url), spawnGateway(config, nats.url)]);
  const client = await RecordingClient.connect(gateway.wsUrl);
  for (const id of ids) await client.moreFrames(1, id, 30_000);

  const dropped = async () => {
    const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
    return Object.fromEntries(ids.map((id) => [id, Number(new RegExp(`^decorruptor_frames_dropped_total\\{stream="${id}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)]));
  };
  const counts = await waitFor(async () => {
    const now = await dropped();
    return ids.every((id) => now[id]! > 0) ? now : undefined;
  }, { what: 'drops counted for every stream', timeoutMs: 30_000, intervalMs: 250 });

  // Latency over the next frames of every stream: bounded, not growing with the backlog a slow
  // worker would build if frames queued (the broker keeps only the newest per stream).
  const from = client.frames.length;
  await client.waitFor(() => ids.every((id) => client.frames.slice(from).filter((f) => f.streamId === id).length >= 10) || undefined, '10 more frames of every stream', 30_000);
  const latencies = client.frames.slice(from).map((f) => f.latencyMs).sort((a, b) => a - b);
  const p95 = latencies[Math.floor(latencies.length * 0.95)]!;
  assert.ok(p95 < 1000, `p95 capture-to-client latency ${p95} ms under overload (${latencies.length} frames, drops ${JSON.stringify(counts)})`);
  t.diagnostic(`p95 ${p95} ms, median ${latencies[Math.floor(latencies.length / 2)]} ms over ${latencies.length} frames; drops ${JSON.stringify(counts)}`);
  client.close();
});
