/** `decorruptor eval`: the CIFAR-10-C-style benchmark (logic in src/eval, this file only wires it). */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { CorruptionError, type Severity } from '../../corrupt/index.js';
import { loadCifar10, requireCifar10Dir } from '../../data/cifar10.js';
import { CIFAR10_FOLDER } from '../../data/download.js';
import { evaluate, formatReportTable, parseCorruptionList, renderReportSvg } from '../../eval/index.js';
import { prefixedLogger } from '../../log/logger.js';
import { openEngine } from '../../runtime/index.js';
import { intOption, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../progress.js';

const HELP = `Usage: decorruptor eval [--data DIR] [options]

CIFAR-10-C-style benchmark. Corrupts CIFAR-10 test images (test_batch.bin) at 32x32, one seed per
image, and reports the top-1 accuracy of the classifier on the corrupted image (source), on the
edited image (edited) and of their ensemble, for clean images and each corruption, through the
same inference engine as the stream, and the pixel MSE to the clean image of the input frame
(MSE in) and of the edited image (MSE out).

Options:
  --data DIR            CIFAR-10 binary folder, or its parent (default: data.cifar10Dir, $CIFAR10_DIR,
                        ./data/cifar-10-batches-bin, ../shared/data/cifar-10-batches-bin)
  --limit N             use the first N test images (default: all 10000)
  --severity 1-5        corruption severity (default 5)
  --corruptions a,b,c   corruption types (default: the 15 standard ones; 'all', 'extra' allowed)
  --editor NAME         editor from the bundle (cm, dpm) or none (default: model.editor)
  --steps N             editor sampling steps (default: the bundle's)
  --noise bundle|per-image
                        editor noise: the bundle's pinned noise for every image, as the stream
                        samples (default), or a noise of its own per image (the average over seeds)
  --bundle DIR          model bundle folder (default: model.bundle)
  --batch N             frames per inference call (default 16)
  --seed N              corruption seed (default 0)
  --json FILE           write the results as JSON
  --svg FILE            write a bar chart, source vs ensemble per corruption
  --config FILE         configuration file (defaults for --bundle, --editor, providers, --data)

The table goes to stdout, a progress bar to stderr when it is a terminal. See docs/eval.md.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    data: { type: 'string' },
    limit: { type: 'string' },
    severity: { type: 'string' },
    corruptions: { type: 'string' },
    editor: { type: 'string' },
    steps: { type: 'string' },
    noise: { type: 'string' },
    bundle: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'string' },
    svg: { type: 'string' },
    config: { type: 'string', short: 'c' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  // Every flag is checked before anything slow (data, model) is loaded.
  const limit = intOption(values.limit, 'limit', 1);
  const severity = (intOption(values.severity, 'severity', 1, 5) ?? 5) as Severity;
  const steps = intOption(values.steps, 'steps', 1);
  const batchSize = intOption(values.batch, 'batch', 1, 1024) ?? 16;
  const seed = intOption(values.seed, 'seed', 0) ?? 0;
  const noise = values.noise ?? 'bundle';
  if (noise !== 'bundle' && noise !== 'per-image') throw new UsageError(`--noise: expected bundle or per-image, got '${noise}'`);
  let corruptions;
  try {
    corruptions = parseCorruptionList(values.corruptions);
  } catch (error) {
    if (error instanceof CorruptionError) throw new UsageError(`--corruptions: ${error.message}`);
    throw error;
  }

  const config = await loadConfig({ file: values.config });
  const dataDir = values.data === undefined ? requireCifar10Dir(config.data.cifar10Dir) : dataFlagDir(values.data);
  const dataset = await loadCifar10(dataDir, 'test', limit);
  const editor = values.editor ?? config.model.editor;

  const model = {
    ...config.model,
    bundle: values.bundle ?? config.model.bundle,
    editor,
    steps: steps ?? (values.editor === undefined ? config.model.steps : undefined),
    editorNoise: noise === 'bundle' ? ('bundle' as const) : ('per-stream' as const),
    topK: 1,
  };
  const engine = await openEngine(model, prefixedLogger('eval')).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'BUNDLE_EDITOR_UNKNOWN') throw new UsageError(`--editor: ${(error as Error).message}`);
    throw error;
  });

  const progress = createProgress({ label: 'eval', total: dataset.images.length * (corruptions.length + 1) });
  const startedAt = performance.now();
  let report;
  try {
    report = await evaluate({ engine, dataset, severity, corruptions, batchSize, seed, onProgress: (done) => progress.update(done) });
  } finally {
    progress.done();
    await engine.close();
  }
  const elapsedMs = performance.now() - startedAt;

  console.log(formatReportTable(report, { elapsedMs }));
  if (values.json) {
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    process.stderr.write(`eval: wrote ${values.json}\n`);
  }
  if (values.svg) {
    await writeFile(values.svg, renderReportSvg(report));
    process.stderr.write(`eval: wrote ${values.svg}\n`);
  }
  return 0;
}

/** --data names the batches folder, or its parent (as `decorruptor data cifar10 --dir` takes it). */
function dataFlagDir(value: string): string {
  const nested = path.join(value, CIFAR10_FOLDER);
  return !existsSync(path.join(value, 'test_batch.bin')) && existsSync(path.join(nested, 'test_batch.bin')) ? nested : value;
}
