/**
 * `decorruptor bench --distributed`: what the NATS JetStream hop costs and what a second worker
 * buys, on this machine, in one run (docs/distributed.md). A nats-server is started here.
 * - broker_hop: one 30 fps lavfi stream, capture -> ws client receive, `serve` (all-in-one) against
 *   ingest + worker + gateway through the broker; the p50 / p95 the hop adds.
 * - workers: `run --nats` on the same clip with 1 and then 2 workers, each on one onnxruntime
 *   thread (so that 2 workers on 2 cores is a fair comparison): steady-state frames/s and the ratio.
 * - replay: the one-worker `run --nats` against the all-in-one `run` on one thread: efficiency.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalBroker } from '../cluster/local-broker.js';
import { CliChild, delay } from './cli-process.js';
import { FrameCollector } from './live-client.js';
import { measureLive } from './live.js';
import { counterDelta, MetricsSnapshot } from './prometheus.js';
import { measureReplay, type ReplayScenarioResult } from './replay.js';
import { finiteOrNull, ratio, round, summarizeLatency, type LatencySummary } from './stats.js';
import { ensureTestVideo } from './test-video.js';

export interface DistributedBenchOptions {
  quick: boolean;
  bundleDir: string;
  editor: string;
  batch: number;
  /** The user's config file; the one-thread runs get a copy with model.intraOpThreads 1. */
  configFile?: string;
  workDir: string;
  log: (message: string) => void;
}

export interface DistributedBenchResult {
  broker_hop: {
    source: string;
    seconds: number;
    all_in_one: LatencySummary;
    distributed: LatencySummary;
    added_p50_ms: number | null;
    added_p95_ms: number | null;
    /** Frames the gateway counted as dropped per second (seq gaps). */
    distributed_drops_per_s: number;
  };
  workers: { video: string; intra_op_threads: 1; one_worker_fps: number; two_workers_fps: number; ratio: number | null };
  replay: { all_in_one_fps: number; through_broker_fps: number; efficiency: number | null };
}

const FPS = 30;
const SIZE = { width: 320, height: 240 };
const READY_TIMEOUT_MS = 120_000;
const SOURCE = `lavfi:testsrc2=size=${SIZE.width}x${SIZE.height}:rate=${FPS}`;

export async function measureDistributed(options: DistributedBenchOptions): Promise<DistributedBenchResult> {
  const { log, quick } = options;
  const timing = quick ? { warmupSeconds: 2, seconds: 8, frames: 240 } : { warmupSeconds: 5, seconds: 30, frames: 1200 };
  const broker = await startLocalBroker();
  const children: CliChild[] = [];
  const spawnRole = async (args: string[], ready: RegExp, what: string) => {
    const child = CliChild.start([...args, '--nats', broker.url, '--log-level', 'info']);
    child.process.stdout.resume();
    children.push(child);
    await child.waitForStderr(ready, READY_TIMEOUT_MS, what);
    return child;
  };
  const stopAll = async () => {
    await Promise.all(children.splice(0).map((child) => child.stop()));
  };
  try {
    log(`distributed: broker hop, one ${FPS} fps stream: serve first (${timing.seconds} s)`);
    const allInOne = await measureLive({
      streams: 1, fps: FPS, size: SIZE, bundleDir: options.bundleDir, editor: options.editor, configFile: options.configFile,
      warmupSeconds: timing.warmupSeconds, seconds: timing.seconds, readyTimeoutMs: READY_TIMEOUT_MS,
    });

    log('distributed: the same stream through ingest + worker + gateway');
    const model = ['--bundle', options.bundleDir, '--editor', options.editor, '--batch', String(options.batch), ...(options.configFile ? ['--config', options.configFile] : [])];
    await spawnRole(['ingest', '--source', `s1=${SOURCE}`, ...(options.configFile ? ['--config', options.configFile] : [])], /publishing \d+ stream/, 'publishing');
    await spawnRole(['worker', ...model], /worker \S+: model/, 'its model');
    const gateway = await spawnRole(['gateway', '--port', '0', ...(options.configFile ? ['--config', options.configFile] : [])], /dashboard on http:\/\/[^\s/]+\//, 'its address');
    const base = /dashboard on (http:\/\/[^\s/]+)\//.exec(gateway.stderr)![1]!;
    const hop = await measureGateway(base, gateway, timing);
    await stopAll();

    const video = await ensureTestVideo({ dir: options.workDir, frames: timing.frames, width: SIZE.width, height: SIZE.height, fps: FPS });
    const oneThread = await oneThreadConfig(options);
    const replay = (extraArgs: string[] = []) =>
      measureReplay({ video, bundleDir: options.bundleDir, editor: options.editor, batch: options.batch, configFile: oneThread, workDir: options.workDir, timeoutMs: 600_000, extraArgs });
    log(`distributed: replay of ${video}, all-in-one run on one thread`);
    const local = await replay();
    const worker = ['worker', '--config', oneThread, '--bundle', options.bundleDir, '--editor', options.editor, '--batch', String(options.batch)];
    await spawnRole(worker, /worker \S+: model/, 'its model');
    log('distributed: run --nats with one worker (one thread)');
    const one = await replay(['--nats', broker.url]);
    await spawnRole(worker, /worker \S+: model/, 'its model');
    log('distributed: run --nats with two workers (one thread each)');
    const two = await replay(['--nats', broker.url]);
    await stopAll();

    return {
      broker_hop: {
        source: SOURCE,
        seconds: hop.seconds,
        all_in_one: allInOne.latency,
        distributed: hop.latency,
        added_p50_ms: added(hop.latency.p50_ms, allInOne.latency.p50_ms),
        added_p95_ms: added(hop.latency.p95_ms, allInOne.latency.p95_ms),
        distributed_drops_per_s: hop.dropsPerSecond,
      },
      workers: { video, intra_op_threads: 1, one_worker_fps: one.fps, two_workers_fps: two.fps, ratio: finiteOrNull(ratio(two.fps, one.fps), 2) },
      replay: { all_in_one_fps: local.fps, through_broker_fps: one.fps, efficiency: efficiency(one, local) },
    };
  } finally {
    await stopAll();
    await broker.dispose();
  }
}

/** The gateway's ws client over a window: capture (at the ingest) -> receive here; drops from its /metrics. */
async function measureGateway(base: string, gateway: CliChild, timing: { warmupSeconds: number; seconds: number }): Promise<{ latency: LatencySummary; seconds: number; dropsPerSecond: number }> {
  const client = await FrameCollector.connect(`${base.replace(/^http/, 'ws')}/ws`);
  try {
    const deadline = performance.now() + READY_TIMEOUT_MS;
    while (client.frames.length === 0) {
      if (gateway.hasExited) throw gateway.failure('exited before a frame arrived');
      if (performance.now() > deadline) throw gateway.failure('sent no frame in time');
      await delay(50);
    }
    await delay(timing.warmupSeconds * 1000);
    const before = await MetricsSnapshot.fetch(base);
    const from = performance.now();
    await delay(timing.seconds * 1000);
    const after = await MetricsSnapshot.fetch(base);
    const frames = client.between(from, performance.now());
    const seconds = (after.at - before.at) / 1000;
    return {
      latency: summarizeLatency(frames.map((f) => f.captureToReceiveMs)),
      seconds: round(seconds, 2),
      dropsPerSecond: round(counterDelta(before, after, 'decorruptor_frames_dropped_total') / seconds, 2),
    };
  } finally {
    client.close();
  }
}

/** A copy of the user's config (or none) with one onnxruntime thread per session. */
async function oneThreadConfig(options: DistributedBenchOptions): Promise<string> {
  const user = options.configFile ? (JSON.parse(await readFile(options.configFile, 'utf8')) as Record<string, unknown>) : {};
  const file = path.resolve(options.workDir, 'distributed-one-thread.json');
  const model = { ...((user['model'] as Record<string, unknown> | undefined) ?? {}), intraOpThreads: 1 };
  await writeFile(file, `${JSON.stringify({ ...user, model })}\n`);
  return file;
}

function added(distributed: number | null, local: number | null): number | null {
  return distributed === null || local === null ? null : round(distributed - local, 1);
}

function efficiency(through: ReplayScenarioResult, local: ReplayScenarioResult): number | null {
  return finiteOrNull(ratio(through.fps, local.fps), 2);
}

/** The result as a few lines for the terminal. */
export function formatDistributed(result: DistributedBenchResult): string {
  const { broker_hop: hop, workers, replay } = result;
  const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
  return [
    `broker hop, one ${FPS} fps stream, capture -> client (${hop.seconds} s each):`,
    `  all-in-one serve     p50 ${ms(hop.all_in_one.p50_ms)}  p95 ${ms(hop.all_in_one.p95_ms)}`,
    `  through the broker   p50 ${ms(hop.distributed.p50_ms)}  p95 ${ms(hop.distributed.p95_ms)}  (${hop.distributed_drops_per_s} drops/s)`,
    `  added                p50 ${ms(hop.added_p50_ms)}  p95 ${ms(hop.added_p95_ms)}`,
    `workers, run --nats, one onnxruntime thread each: 1 worker ${workers.one_worker_fps} frames/s, 2 workers ${workers.two_workers_fps} frames/s, ratio ${workers.ratio ?? '-'}x`,
    `replay: all-in-one run ${replay.all_in_one_fps} frames/s, through the broker (1 worker) ${replay.through_broker_fps} frames/s, efficiency ${replay.efficiency ?? '-'}`,
    '',
  ].join('\n');
}

/** `bench --distributed`: measures, prints the table on stdout and writes the JSON. */
export async function runDistributedBench(options: DistributedBenchOptions & { jsonFile: string }): Promise<void> {
  const result = await measureDistributed(options);
  process.stdout.write(formatDistributed(result));
  await mkdir(path.dirname(path.resolve(options.jsonFile)), { recursive: true });
  await writeFile(options.jsonFile, `${JSON.stringify({ date: new Date().toISOString(), quick: options.quick, ...result }, null, 2)}\n`);
  options.log(`results written to ${options.jsonFile}`);
}
