/**
 * Churn: `decorruptor serve --api` while streams are added and removed through the stream API, one
 * after another, each kept until its frames count on /metrics. Every `--sample` cycles it prints the
 * server's RSS, its heap and how many /metrics lines still name a churned stream. A removed stream
 * should leave nothing behind, so the line count stays at the one running stream's and the heap
 * flat. Not part of CI.
 *
 *   npx tsx tools/churn.ts [--cycles 200] [--sample 20] [--bundle test/fixtures/model/bundle] [--json FILE]
 *
 * Writes bench/out/churn-<time>.json unless --json says otherwise; exit 1 when lines of removed
 * streams stay on /metrics.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { MetricsSnapshot, parsePrometheusText } from '../src/bench/prometheus.js';
import { FIXTURE_BUNDLE, getJson, REPO_ROOT, residentBytes, startServe } from '../test/helpers/reliability-cli.js';
import { waitFor } from '../test/helpers/wait.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '200' },
    sample: { type: 'string', default: '20' },
    bundle: { type: 'string', default: FIXTURE_BUNDLE },
    json: { type: 'string' },
  },
});
const cycles = Number(values.cycles);
const sampleEvery = Number(values.sample);
const MiB = 1024 * 1024;
const CHURNED = 'churn-';

interface Sample {
  cycle: number;
  rssMiB: number;
  heapUsedMiB: number | null;
  /** /metrics lines that name a churned stream (the one running now included). */
  churnedLines: number;
  metricsLines: number;
}

const mib = (bytes: number | undefined | null) => (bytes == null ? null : Math.round((bytes / MiB) * 10) / 10);

async function main(): Promise<void> {
  const serve = await startServe(['--api', '--bundle', values.bundle!, '--source', 'base=lavfi:testsrc2=size=64x48:rate=10']);
  const api = `${serve.httpUrl}/api/streams`;
  const metrics = () => fetch(`${serve.httpUrl}/metrics`).then((r) => r.text());
  const samples: Sample[] = [];
  try {
    await waitFor(async () => (await getJson(`${serve.httpUrl}/readyz`)).status === 200, { what: '/readyz 200', timeoutMs: 60_000 });
    console.log(`churn: serve pid ${serve.cli.pid}, ${cycles} add/remove cycles, sample every ${sampleEvery}`);
    console.log('   cycle  rss(MiB)  heap(MiB)  churned lines  /metrics lines');
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const id = `churn-${cycle}`;
      const added = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id, url: 'lavfi:testsrc=size=64x48:rate=10', width: 64, height: 48 }) });
      if (added.status !== 201) throw new Error(`POST ${id}: ${added.status} ${await added.text()}`);
      await waitFor(async () => (await MetricsSnapshot.fetch(serve.httpUrl)).sum('decorruptor_frames_processed_total', { stream: id }) > 0, { what: `frames of ${id} on /metrics`, timeoutMs: 20_000 });
      if (cycle % sampleEvery === 0 || cycle === 1) {
        const text = await metrics();
        const series = parsePrometheusText(text);
        const heap = series.find((s) => s.name === 'decorruptor_nodejs_heap_size_used_bytes');
        const sample: Sample = {
          cycle,
          rssMiB: mib(residentBytes(serve.cli.pid)) ?? 0,
          heapUsedMiB: mib(heap?.value),
          churnedLines: series.filter((s) => s.labels.stream?.startsWith(CHURNED)).length,
          metricsLines: text.split('\n').length,
        };
        samples.push(sample);
        console.log(`${String(cycle).padStart(8)}  ${String(sample.rssMiB).padStart(8)}  ${String(sample.heapUsedMiB ?? '-').padStart(9)}  ${String(sample.churnedLines).padStart(13)}  ${String(sample.metricsLines).padStart(14)}`);
      }
      const removed = await fetch(`${api}/${id}`, { method: 'DELETE' });
      if (removed.status !== 200) throw new Error(`DELETE ${id}: ${removed.status} ${await removed.text()}`);
    }
  } finally {
    serve.cli.child.kill('SIGTERM');
    console.log(`serve stopped: ${JSON.stringify(await serve.cli.exit(15_000))}`);
  }

  const first = samples[0]!;
  const last = samples.at(-1)!;
  // With one churned stream running at each sample, its own lines are all that should be there.
  const pass = last.churnedLines <= first.churnedLines;
  const result = { at: new Date().toISOString(), cycles, bundle: values.bundle, first, last, pass, samples };
  console.log(`/metrics lines of churned streams: ${first.churnedLines} at cycle ${first.cycle} -> ${last.churnedLines} at cycle ${last.cycle}; heap ${first.heapUsedMiB} -> ${last.heapUsedMiB} MiB: ${pass ? 'PASS' : 'FAIL'}`);
  const out = values.json ?? join(REPO_ROOT, 'bench/out', `churn-${result.at.replace(/[:.]/g, '-')}.json`);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${out}`);
  if (!pass) process.exitCode = 1;
}

await main();
