/** `decorruptor eval`: the CIFAR-10-C-style benchmark (logic in src/eval, this file only wires it). */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { CorruptionError, type Severity } from '../../corrupt/index.js';
import { loadCifar10, requireCifar10Dir } from '../../data/cifar10.js';
import { CIFAR10_FOLDER } from '../../data/download.js';
import { evaluate, evaluateImages, formatReportTable, loadImageFolder, parseCorruptionList, renderReportSvg } from '../../eval/index.js';
import { prefixedLogger } from '../../log/logger.js';
import { openEngine } from '../../runtime/index.js';
import { UsageError } from '../errors.js';
import { defineCommand } from '../options.js';
import { choice, configOption, GATE } from '../shared-options.js';
import { createProgress } from '../progress.js';

function corruptionList(text: string, flag: string): ReturnType<typeof parseCorruptionList> {
  try {
    return parseCorruptionList(text);
  } catch (error) {
    if (error instanceof CorruptionError) throw new UsageError(`${flag}: ${error.message}`);
    throw error;
  }
}

function gateThreshold(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value <= 1)) throw new UsageError(`${flag}: expected a number from 0 to 1, got "${text}"`);
  return value;
}

export const COMMAND = defineCommand({
  name: 'eval',
  usage: 'decorruptor eval [--data DIR | --images DIR] [options]',
  about: `CIFAR-10-C-style benchmark. Corrupts CIFAR-10 test images (test_batch.bin) at 32x32, one seed per
image, and reports the top-1 accuracy of the classifier on the corrupted image (source), on the
edited image (edited) and of their ensemble, for clean images and each corruption, through the
same inference engine as the stream, and the pixel MSE to the clean image of the input frame
(MSE in) and of the edited image (MSE out). With --images, measures images corrupted elsewhere
instead, as they are.`,
  options: {
    data: {
      type: 'string',
      value: 'DIR',
      description: 'CIFAR-10 binary folder, or its parent',
      defaultText: 'data.cifar10Dir, $CIFAR10_DIR, ./data/cifar-10-batches-bin, ../shared/data/cifar-10-batches-bin',
    },
    images: {
      type: 'string',
      value: 'DIR',
      description:
        'measure DIR/<condition>.bin as they are (CIFAR-10 binary files, e.g. made by another CIFAR-10-C implementation) against DIR/clean.bin, ' +
        'with the class names in DIR/batches.meta.txt; no corruption is applied, so --data, --severity, --corruptions and --seed do not apply',
    },
    limit: { type: 'integer', min: 1, description: 'use the first N test images', defaultText: 'all 10000' },
    // No parser default for severity and seed: --images must tell whether they were given.
    severity: { type: 'integer', value: '1-5', min: 1, max: 5, defaultText: '5', description: 'corruption severity' },
    corruptions: { type: 'string', value: 'a,b,c', description: "corruption types, or 'all', 'extra'", defaultText: 'the 15 standard ones', parse: corruptionList },
    editor: { type: 'string', value: 'NAME', description: 'editor from the bundle (cm, dpm) or none', defaultText: 'model.editor' },
    steps: { type: 'integer', min: 1, description: 'editor sampling steps', defaultText: "the bundle's" },
    noise: {
      type: 'string',
      value: 'bundle|per-image',
      default: 'bundle',
      description: "editor noise: the bundle's pinned noise for every image, as the stream samples, or a noise of its own per image (the average over seeds)",
      parse: choice('bundle', 'per-image'),
    },
    gate: { ...GATE, description: 'corruption gate (bundles with one): auto edits only the images it finds corrupted, each by its own score; off edits every image' },
    'gate-threshold': { type: 'string', value: 'X', description: "the gate's threshold, 0-1", defaultText: "the bundle's", parse: gateThreshold },
    bundle: { type: 'string', value: 'DIR', description: 'model bundle folder', defaultText: 'model.bundle' },
    precision: { type: 'string', value: 'P', description: "fp32, int8 (the bundle's int8 variant) or auto", defaultText: 'model.precision', parse: choice('fp32', 'int8', 'auto') },
    batch: { type: 'integer', min: 1, max: 1024, default: 16, description: 'frames per inference call' },
    seed: { type: 'integer', min: 0, defaultText: '0', description: 'corruption seed' },
    json: { type: 'string', value: 'FILE', description: 'write the results as JSON' },
    svg: { type: 'string', value: 'FILE', description: 'write a bar chart, source vs ensemble per corruption' },
    config: configOption('configuration file (defaults for --bundle, --editor, providers, --data)'),
  },
  footer: 'The table goes to stdout, a progress bar to stderr when it is a terminal. See docs/eval.md.',
});

export async function run(argv: string[]): Promise<number> {
  // Every flag is checked (in the parse) before anything slow (data, model) is loaded.
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  if (values.images !== undefined) refuseWithImages(values);
  const { limit, steps } = values;
  const seed = values.seed ?? 0;
  const severity = (values.severity ?? 5) as Severity;
  const batchSize = values.batch;
  const corruptions = values.corruptions ?? parseCorruptionList(undefined);

  const config = await loadConfig({ file: values.config, overrides: { model: { precision: values.precision } } });
  // Loaded (and checked) before the engine: a bad file fails fast.
  const folder = values.images === undefined ? undefined : await loadImageFolder(values.images, limit);
  const dataDir = () => (values.data === undefined ? requireCifar10Dir(config.data.cifar10Dir) : dataFlagDir(values.data));
  const dataset = folder ? folder.clean : await loadCifar10(dataDir(), 'test', limit);
  const conditionCount = folder ? folder.conditions.length : corruptions.length;
  const editor = values.editor ?? config.model.editor;

  const model = {
    ...config.model,
    bundle: values.bundle ?? config.model.bundle,
    editor,
    steps: steps ?? (values.editor === undefined ? config.model.steps : undefined),
    editorNoise: values.noise === 'bundle' ? ('bundle' as const) : ('per-stream' as const),
    gate: values.gate ?? config.model.gate,
    gateThreshold: values['gate-threshold'] ?? config.model.gateThreshold,
    topK: 1,
  };
  const engine = await openEngine(model, prefixedLogger('eval')).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'BUNDLE_EDITOR_UNKNOWN') throw new UsageError(`--editor: ${(error as Error).message}`);
    throw error;
  });

  const progress = createProgress({ label: 'eval', total: dataset.images.length * (conditionCount + 1) });
  const startedAt = performance.now();
  const loop = { engine, batchSize, onProgress: (done: number) => progress.update(done) };
  let report;
  try {
    report = folder ? await evaluateImages({ ...loop, folder }) : await evaluate({ ...loop, dataset, severity, corruptions, seed });
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

/** The flags that shape the corruption made here, refused next to --images (whose files are used as they are). */
function refuseWithImages(values: { data?: unknown; severity?: unknown; corruptions?: unknown; seed?: unknown }): void {
  const inapplicable = (['data', 'severity', 'corruptions', 'seed'] as const).filter((flag) => values[flag] !== undefined);
  if (inapplicable.length > 0) {
    throw new UsageError(`--images measures the files as they are: ${inapplicable.map((f) => `--${f}`).join(', ')} does not apply`);
  }
}

/** --data names the batches folder, or its parent (as `decorruptor data cifar10 --dir` takes it). */
function dataFlagDir(value: string): string {
  const nested = path.join(value, CIFAR10_FOLDER);
  return !existsSync(path.join(value, 'test_batch.bin')) && existsSync(path.join(nested, 'test_batch.bin')) ? nested : value;
}
