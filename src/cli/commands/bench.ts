/** `decorruptor bench`: editor cost, pipeline efficiency, live latency, multi-stream scaling, memory. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { formatReport } from '../../bench/report.js';
import { SCENARIOS, type Scenario } from '../../bench/results.js';
import { FULL_PROFILE, QUICK_PROFILE, runBench } from '../../bench/run-bench.js';
import { intOption, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';

const HELP = `Usage: decorruptor bench [options]

Measures, one scenario after another (docs/benchmarks.md explains each and how to read them):
  ceiling  InferenceEngine.infer on synthetic frames, 2 batches in flight: classifier only,
           CM-4 + ensemble, DPM-20 + ensemble; the DPM-20 / CM-4 per-frame cost ratio
  replay   'decorruptor run' on a generated testsrc2 video; efficiency = replay / CM-4 ceiling
  replay_hd  'decorruptor run' on a 1280x720 H.264 clip, and ffmpeg decoding it alone;
           efficiency = run / min(decode-only, CM-4 ceiling)
  live     'decorruptor serve' with one 30 fps lavfi source and a ws client: capture -> client
           receive latency p50/p95/p99, drops/s (motion gating off: every frame is inferred)
  multi    the same with 2, 3 and 4 sources: processed fps, p95, drops/s
  static   8 x 30 fps quiet scenes with motion gating on: frames in / inferred, p95, drops/s
plus peak RSS of every process and a per-stage time breakdown. Prints a table on stdout, progress
on stderr, and writes the results as JSON.

Options:
      --quick           short runs (about a minute): proves the bench works, numbers are rough
      --json FILE       results file (default bench/results.json)
      --bundle DIR      model bundle (default: config model.bundle, models/cifar10)
  -c, --config FILE     configuration file (providers, ensemble, batching, server settings)
      --batch N         frames per batch for ceiling and replay (default: config batching.maxBatch)
      --only LIST       comma-separated scenarios to run: ${SCENARIOS.join(',')} (default: all)
      --distributed     instead: the NATS JetStream hop (latency all-in-one vs through the broker),
                        1 vs 2 workers and replay through the broker (needs nats-server;
                        results in bench/results-distributed.json, docs/distributed.md)`;

function parseScenarios(list: string | undefined): Set<Scenario> {
  if (list === undefined) return new Set(SCENARIOS);
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`--only: expected some of ${SCENARIOS.join(', ')}, got "${list}"`);
  return new Set(names as Scenario[]);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    quick: { type: 'boolean' },
    json: { type: 'string' },
    bundle: { type: 'string' },
    config: { type: 'string', short: 'c' },
    batch: { type: 'string' },
    only: { type: 'string' },
    distributed: { type: 'boolean' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const scenarios = parseScenarios(values.only);
  const config = await loadConfig({
    file: values.config,
    overrides: { model: { bundle: values.bundle }, batching: { maxBatch: intOption(values.batch, 'batch', 1, 1024) } },
  });
  const quick = values.quick ?? false;
  const jsonFile = values.json ?? path.join('bench', 'results.json');
  const log = (message: string) => process.stderr.write(`bench: ${message}\n`);
  if (values.distributed) {
    const { runDistributedBench } = await import('../../bench/distributed.js');
    await runDistributedBench({
      quick, bundleDir: config.model.bundle, editor: config.model.editor, batch: config.batching.maxBatch, configFile: values.config,
      workDir: path.join('bench', 'out'), jsonFile: values.json ?? path.join('bench', 'results-distributed.json'), log,
    });
    return 0;
  }

  const results = await runBench({
    quick,
    profile: quick ? QUICK_PROFILE : FULL_PROFILE,
    scenarios,
    model: config.model,
    configFile: values.config,
    batch: config.batching.maxBatch,
    jpegQuality: config.server.jpegQuality,
    workDir: path.join('bench', 'out'),
    log,
  });

  process.stdout.write(formatReport(results));
  await mkdir(path.dirname(path.resolve(jsonFile)), { recursive: true });
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${jsonFile}`);
  return 0;
}
