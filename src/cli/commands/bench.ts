/** `decorruptor bench`: editor cost, pipeline efficiency, live latency, multi-stream scaling, memory. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { formatReport } from '../../bench/report.js';
import { SCENARIOS, type Scenario } from '../../bench/results.js';
import { FULL_PROFILE, QUICK_PROFILE, runBench } from '../../bench/run-bench.js';
import { defineCommand } from '../options.js';
import { BATCH, configOption } from '../shared-options.js';
import { UsageError } from '../errors.js';

/** --only: a comma-separated list of scenario names. */
function scenarioList(text: string, flag: string): Set<Scenario> {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) throw new UsageError(`${flag}: expected some of ${SCENARIOS.join(', ')}, got "${text}"`);
  return new Set(names as Scenario[]);
}

export const COMMAND = defineCommand({
  name: 'bench',
  usage: 'decorruptor bench [options]',
  about: `Measures, one scenario after another (docs/benchmarks.md explains each and how to read them):
  ceiling  InferenceEngine.infer on synthetic frames, 2 batches in flight: classifier only,
           CM-4 + ensemble, DPM-20 + ensemble; the DPM-20 / CM-4 per-frame cost ratio
  replay   'decorruptor run' on a generated testsrc2 video; efficiency = replay / CM-4 ceiling
  replay_hd  'decorruptor run' on a 1280x720 H.264 clip, and ffmpeg decoding it alone;
           efficiency = run / min(decode-only, CM-4 ceiling)
  live     'decorruptor serve' with one 30 fps lavfi source and a ws client: capture -> client
           receive latency p50/p95/p99, drops/s (motion gating off: every frame is inferred)
  multi    the same with 2, 3 and 4 sources: processed fps, p95, drops/s
  static   8 x 30 fps quiet scenes with motion gating on: frames in / inferred, p95, drops/s
  gate     1 x 30 fps, clean and fog:5, corruption gate on and off: worker time per frame and the
           share of frames edited (the live scenarios above run with the gate off: every frame edited)
plus peak RSS of every process and a per-stage time breakdown. Prints a table on stdout, progress
on stderr, and writes the results as JSON.`,
  options: {
    quick: { type: 'boolean', description: 'short runs (about a minute): proves the bench works, numbers are rough' },
    json: { type: 'string', value: 'FILE', description: 'results file', defaultText: 'bench/results.json' },
    bundle: { type: 'string', value: 'DIR', description: 'model bundle', defaultText: 'config model.bundle, models/cifar10' },
    config: configOption('configuration file (providers, ensemble, batching, server settings)'),
    batch: BATCH('frames per batch for ceiling and replay', 'config batching.maxBatch'),
    only: { type: 'string', value: 'LIST', description: `comma-separated scenarios to run: ${SCENARIOS.join(',')}`, defaultText: 'all', parse: scenarioList },
    distributed: {
      type: 'boolean',
      description:
        'instead: the NATS JetStream hop (latency all-in-one vs through the broker), 1 vs 2 workers and replay through the broker ' +
        '(needs nats-server; results in bench/results-distributed.json, docs/distributed.md)',
    },
  },
});

export async function run(argv: string[]): Promise<number> {
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const scenarios = values.only ?? new Set(SCENARIOS);
  const config = await loadConfig({
    file: values.config,
    overrides: { model: { bundle: values.bundle }, batching: { maxBatch: values.batch } },
  });
  const quick = values.quick;
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
