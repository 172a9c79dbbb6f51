/**
 * Soak: `decorruptor serve` with 2 live streams and 3 WebSocket clients, one of which never reads,
 * for N minutes. Samples the server's RSS (and its heap, from /metrics) every `--sample-s`
 * seconds, prints the curve, and reports the growth after warm-up (target < 10 %). Not part of CI.
 *
 *   npx tsx tools/soak.ts [--minutes 10] [--sample-s 10] [--warmup-s 60]
 *       [--bundle test/fixtures/model/bundle] [--size 160x120] [--rate 10] [--json FILE]
 *
 * The never-reading client is dropped by the server's heartbeat (it cannot answer pings) and is
 * replaced at the next sample, so the run also exercises connect/disconnect churn. Writes
 * bench/out/soak-<time>.json unless --json says otherwise; exit 1 when the growth target is missed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { MetricsSnapshot } from '../src/bench/prometheus.js';
import { childPids, FIXTURE_BUNDLE, getJson, REPO_ROOT, residentBytes, startServe } from '../test/helpers/reliability-cli.js';
import { RecordingClient } from '../test/helpers/reliability-ws.js';
import { sleep, waitFor } from '../test/helpers/wait.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'sample-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '60' },
    bundle: { type: 'string', default: FIXTURE_BUNDLE },
    size: { type: 'string', default: '160x120' },
    rate: { type: 'string', default: '10' },
    json: { type: 'string' },
    'target-growth': { type: 'string', default: '0.10' },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const sampleMs = Number(values['sample-s']) * 1000;
const warmupMs = Number(values['warmup-s']) * 1000;
const targetGrowth = Number(values['target-growth']);
const MiB = 1024 * 1024;

interface Sample {
  t: number;
  rssMiB: number;
  ffmpegRssMiB: number;
  heapUsedMiB: number | null;
  framesPerReader: number[];
  readerP95LatencyMs: number | null;
  slowClientDrops: number;
  slowClientSkippedTotal: number | null;
  clients: number;
}

/**
 * One client that never reads. Its paused socket cannot even see the server drop it, so the soak
 * watches the server's client count and replaces it when the server has let it go.
 */
class NeverReader {
  replacements = 0;
  #ws: WebSocket | undefined;

  constructor(readonly url: string) {}

  start(): void {
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.on('error', () => {});
    // Once open, stop reading the socket: frames, stats and pings pile up in the kernel buffers.
    ws.once('open', () => (ws as unknown as { _socket: { pause(): void } })._socket.pause());
  }

  /** The server dropped it (heartbeat): connect a new never-reader. */
  replace(): void {
    this.replacements++;
    this.#ws?.terminate();
    this.start();
  }

  stop(): void {
    this.#ws?.terminate();
  }
}

function p95(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

const mib = (bytes: number | undefined | null) => (bytes == null ? 0 : Math.round((bytes / MiB) * 10) / 10);

async function main(): Promise<void> {
  const [width, height] = values.size!.split('x');
  const sources = [`a=lavfi:testsrc2=size=${width}x${height}:rate=${values.rate}`, `b=lavfi:testsrc=size=${width}x${height}:rate=${values.rate}`];
  const serve = await startServe(['--bundle', values.bundle!, ...sources.flatMap((s) => ['--source', s])]);
  const samples: Sample[] = [];
  const readers: RecordingClient[] = [];
  const slow = new NeverReader(serve.wsUrl);
  try {
    await waitFor(async () => (await getJson(`${serve.httpUrl}/readyz`)).status === 200, { what: '/readyz 200', timeoutMs: 60_000 });
    readers.push(await RecordingClient.connect(serve.wsUrl), await RecordingClient.connect(serve.wsUrl));
    slow.start();
    console.log(`soak: serve pid ${serve.cli.pid}, ${sources.join(' ')}, ${values.minutes} min, sample every ${values['sample-s']} s, warm-up ${values['warmup-s']} s`);
    console.log('    t(s)  rss(MiB)  heap(MiB)  ffmpeg(MiB)  frames/reader  p95(ms)  slow-drops  skipped  clients');
    const startedAt = Date.now();
    const seen = readers.map(() => 0); // frames of each reader already counted in an earlier sample
    while (Date.now() - startedAt < durationMs) {
      await sleep(Math.min(sampleMs, durationMs - (Date.now() - startedAt)));
      if (!serve.cli.running) throw new Error(`serve exited: ${serve.cli.stderr}`);
      const metrics = await MetricsSnapshot.fetch(serve.httpUrl);
      const recent = readers.flatMap((r, i) => r.frames.slice(seen[i]));
      readers.forEach((r, i) => (seen[i] = r.frames.length));
      const sample: Sample = {
        t: Math.round((Date.now() - startedAt) / 1000),
        rssMiB: mib(residentBytes(serve.cli.pid)),
        ffmpegRssMiB: mib(childPids(serve.cli.pid, 'ffmpeg').reduce((sum, pid) => sum + (residentBytes(pid) ?? 0), 0)),
        heapUsedMiB: (() => {
          const heap = metrics.value('decorruptor_nodejs_heap_size_used_bytes');
          return heap === null ? null : mib(heap);
        })(),
        framesPerReader: readers.map((r) => r.frames.length),
        readerP95LatencyMs: (() => {
          const value = p95(recent.map((f) => f.receivedAt - f.capturedAt));
          return value === null ? null : Math.round(value);
        })(),
        slowClientDrops: slow.replacements,
        slowClientSkippedTotal: metrics.value('decorruptor_ws_frames_skipped_total', { reason: 'slow_client' }),
        clients: metrics.value('decorruptor_ws_clients') ?? 0,
      };
      samples.push(sample);
      if (sample.clients < 3) slow.replace(); // the heartbeat dropped the never-reader
      console.log(
        `${String(sample.t).padStart(8)}  ${String(sample.rssMiB).padStart(8)}  ${String(sample.heapUsedMiB ?? '-').padStart(9)}  ${String(sample.ffmpegRssMiB).padStart(11)}  ` +
          `${sample.framesPerReader.join('/').padStart(13)}  ${String(sample.readerP95LatencyMs ?? '-').padStart(7)}  ${String(sample.slowClientDrops).padStart(10)}  ` +
          `${String(sample.slowClientSkippedTotal ?? '-').padStart(7)}  ${String(sample.clients).padStart(7)}`,
      );
    }
  } finally {
    slow.stop();
    for (const reader of readers) reader.close();
    serve.cli.child.kill('SIGTERM');
    const exit = await serve.cli.exit(15_000);
    console.log(`serve stopped: ${JSON.stringify(exit)}`);
  }

  const afterWarmup = samples.filter((s) => s.t * 1000 >= warmupMs);
  const baseline = afterWarmup[0] ?? samples[0]!;
  const last = samples.at(-1)!;
  const peak = Math.max(...afterWarmup.map((s) => s.rssMiB));
  const growth = (last.rssMiB - baseline.rssMiB) / baseline.rssMiB;
  const peakGrowth = (peak - baseline.rssMiB) / baseline.rssMiB;
  const result = {
    at: new Date().toISOString(),
    minutes: Number(values.minutes),
    sources,
    bundle: values.bundle,
    warmupS: warmupMs / 1000,
    baselineRssMiB: baseline.rssMiB,
    finalRssMiB: last.rssMiB,
    peakRssAfterWarmupMiB: peak,
    rssGrowthAfterWarmup: Math.round(growth * 1000) / 1000,
    peakGrowthAfterWarmup: Math.round(peakGrowth * 1000) / 1000,
    targetGrowth,
    pass: growth < targetGrowth,
    slowClientDrops: last.slowClientDrops,
    samples,
  };
  console.log(
    `RSS after warm-up: ${baseline.rssMiB} MiB at ${baseline.t} s -> ${last.rssMiB} MiB at ${last.t} s ` +
      `(growth ${(growth * 100).toFixed(1)} %, peak ${(peakGrowth * 100).toFixed(1)} %; target < ${targetGrowth * 100} %): ${result.pass ? 'PASS' : 'FAIL'}`,
  );
  const out = values.json ?? join(REPO_ROOT, 'bench/out', `soak-${result.at.replace(/[:.]/g, '-')}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (!result.pass) process.exitCode = 1;
}

await main();
