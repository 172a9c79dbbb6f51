/** `decorruptor bundle inspect|check|calibrate|new`: model bundle tools (logic in src/bundle-tools, this file only wires it). */
import { writeFile } from 'node:fs/promises';
import {
  BundleToolError,
  calibrateBundle,
  checkBundle,
  formatCheck,
  formatInspection,
  inspectBundle,
  newBundle,
  readLabelsFile,
} from '../../bundle-tools/index.js';
import { loadConfig } from '../../config/index.js';
import { requireCifar10Dir } from '../../data/index.js';
import { defineCommand, type CommandValues } from '../options.js';
import { configOption } from '../shared-options.js';
import { UsageError } from '../errors.js';

function triple(text: string, flag: string): [number, number, number] {
  const numbers = text.split(',').map((part) => Number(part.trim()));
  const std = flag === '--std';
  if (numbers.length !== 3 || numbers.some((n) => !Number.isFinite(n)) || (std && numbers.some((n) => n <= 0))) {
    throw new UsageError(`${flag}: expected three ${std ? 'positive ' : ''}numbers R,G,B (e.g. ${std ? '0.5,0.5,0.5' : '0.485,0.456,0.406'}), got "${text}"`);
  }
  return numbers as [number, number, number];
}

function size(text: string, flag: string): { width: number; height: number } {
  const match = /^(\d+)x(\d+)$/.exec(text);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new UsageError(`${flag}: expected WxH, e.g. 224x224, got "${text}"`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

const list = (text: string) => text.split(',').map((p) => p.trim()).filter(Boolean);

const NEW = 'Options of new';
const CALIBRATE = 'Options of calibrate';
const OTHER = 'Other options';
const FROM_BUNDLES = "the --from bundle's";

export const COMMAND = defineCommand({
  name: 'bundle',
  usage: [
    'decorruptor bundle inspect [DIR] [--json]',
    'decorruptor bundle check [DIR] [--json]',
    'decorruptor bundle calibrate [DIR] --out RANGES.json [--images N] [--editors LIST]',
    'decorruptor bundle new --from DIR --classifier MODEL.onnx --out NEWDIR',
    '                       [--mean R,G,B --std R,G,B] [--labels FILE] [options]',
  ],
  about: `A model bundle is a folder with manifest.json and the ONNX files it names (docs/models.md).

inspect  each model's inputs and outputs (names, types, shapes), size and parameter count, and
         for each role it plays what the manifest expects of it and whether it meets that
check    opens the bundle as serve does, once per editor, and runs one batch through the
         classifier and that editor
calibrate
         runs the bundle (every editor, or --editors) over CIFAR-10 training images, clean and
         under the four extra corruptions, and writes the ranges of the activations int8
         quantization needs to --out, for training/quantize.py (training/README.md)
new      writes NEWDIR: MODEL.onnx (copied) with the editor of the bundle in --from (its files
         named by relative path, not copied), then checks it; NEWDIR appears only if it passes

DIR defaults to model.bundle of the configuration (models/cifar10).`,
  positionals: true,
  options: {
    from: { type: 'string', value: 'DIR', group: NEW, description: 'the bundle whose editor the new one reuses', defaultText: 'model.bundle' },
    classifier: { type: 'string', value: 'FILE', group: NEW, description: 'the classifier, ONNX: [B,3,H,W] RGB normalised with (x - mean) / std -> [B,K] logits' },
    out: { type: 'string', value: 'PATH', group: NEW, description: 'new: a folder that does not exist yet (or an empty one); calibrate: the ranges file (JSON)' },
    mean: { type: 'string', value: 'R,G,B', group: NEW, description: "per-channel mean of the classifier's [0,1] input", defaultText: FROM_BUNDLES, parse: triple },
    std: { type: 'string', value: 'R,G,B', group: NEW, description: 'per-channel std', defaultText: FROM_BUNDLES, parse: triple },
    labels: { type: 'string', value: 'FILE', group: NEW, description: "class names, one per line, in the classifier's output order", defaultText: FROM_BUNDLES },
    'input-size': { type: 'string', value: 'WxH', group: NEW, description: 'classifier input size, when the model does not fix it', defaultText: FROM_BUNDLES, parse: size },
    input: { type: 'string', value: 'NAME', group: NEW, description: "the classifier's input tensor name, when it has several inputs" },
    output: { type: 'string', value: 'NAME', group: NEW, description: "the classifier's output tensor name, when it has several outputs" },
    name: { type: 'string', value: 'NAME', group: NEW, description: 'bundle name', defaultText: '<from name>+<model file name>' },
    images: { type: 'integer', min: 1, value: 'N', group: CALIBRATE, description: 'training images to run', defaultText: '512' },
    editors: { type: 'string', value: 'LIST', group: CALIBRATE, description: 'editors to run', defaultText: "all of the bundle's", parse: list },
    data: { type: 'string', value: 'DIR', group: CALIBRATE, description: 'CIFAR-10 folder', defaultText: 'data.cifar10Dir, $CIFAR10_DIR, the usual places' },
    json: { type: 'boolean', group: OTHER, description: 'print the report as JSON instead of text' },
    providers: { type: 'string', value: 'LIST', group: OTHER, description: 'execution providers for check and new', defaultText: 'model.providers', parse: list },
    config: { ...configOption('configuration file'), group: OTHER },
  },
  footer: 'Exit status: 0 the bundle is fine, 2 it has problems (each named with its file and code) or bad usage.',
});

/** Bundle problems (BundleError, BundleToolError) are the user's to fix: exit 2, like bad usage. */
function isBundleProblem(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('BUNDLE_');
}

export async function run(argv: string[]): Promise<number> {
  const { help, values, positionals } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const [action, dirArg, ...extra] = positionals;
  if (extra.length > 0 || (action === 'new' && dirArg !== undefined)) throw new UsageError(`unexpected argument '${[...(action === 'new' ? [dirArg] : []), ...extra].join(' ')}'\n\n${COMMAND.help}`);
  const config = await loadConfig({ file: values.config });
  const providers = values.providers ?? config.model.providers;
  const checkOptions = { providers, intraOpThreads: config.model.intraOpThreads };
  try {
    switch (action) {
      case 'inspect': {
        const report = await inspectBundle(dirArg ?? config.model.bundle);
        console.log(values.json ? JSON.stringify(report, null, 2) : formatInspection(report));
        return report.problems === 0 ? 0 : 2;
      }
      case 'check': {
        const report = await checkBundle(dirArg ?? config.model.bundle, checkOptions);
        console.log(values.json ? JSON.stringify(report, null, 2) : formatCheck(report));
        return report.ok ? 0 : 2;
      }
      case 'new':
        return await runNew(values, config.model.bundle, checkOptions);
      case 'calibrate':
        return await runCalibrate(values, dirArg ?? config.model.bundle, values.data ?? config.data.cifar10Dir, checkOptions);
      default:
        throw new UsageError(`${action === undefined ? 'name an action' : `unknown action '${action}'`}: inspect, check, calibrate or new\n\n${COMMAND.help}`);
    }
  } catch (error) {
    if (!isBundleProblem(error)) throw error;
    const code = (error as { code: string }).code;
    console.error(`decorruptor bundle: ${(error as Error).message}${error instanceof BundleToolError ? '' : ` [${code}]`}`);
    return 2;
  }
}

type Values = CommandValues<typeof COMMAND>;

async function runNew(values: Values, defaultFrom: string, checkOptions: { providers: string[]; intraOpThreads?: number }): Promise<number> {
  if (!values.classifier) throw new UsageError('bundle new: --classifier MODEL.onnx is required');
  if (!values.out) throw new UsageError('bundle new: --out NEWDIR is required');
  const result = await newBundle({
    ...checkOptions,
    from: values.from ?? defaultFrom,
    classifier: values.classifier,
    out: values.out,
    mean: values.mean,
    std: values.std,
    labels: values.labels === undefined ? undefined : await readLabelsFile(values.labels),
    inputSize: values['input-size'],
    input: values.input,
    output: values.output,
    name: values.name,
  });
  for (const note of result.notes) process.stderr.write(`bundle new: ${note}\n`);
  console.log(values.json ? JSON.stringify(result, null, 2) : formatCheck(result.check));
  if (!result.check.ok) {
    console.error(`bundle new: the new bundle did not pass the check; nothing was written to ${result.dir}`);
    return 2;
  }
  console.log(`wrote ${result.dir} (use it with --bundle ${values.out})`);
  return 0;
}

async function runCalibrate(values: Values, bundleDir: string, dataDir: string | undefined, checkOptions: { providers: string[]; intraOpThreads?: number }): Promise<number> {
  if (!values.out) throw new UsageError('bundle calibrate: --out RANGES.json is required');
  const result = await calibrateBundle({
    ...checkOptions,
    bundleDir,
    cifar10Dir: requireCifar10Dir(dataDir),
    images: values.images,
    editors: values.editors,
    log: (message) => process.stderr.write(`${message}\n`),
  });
  await writeFile(values.out, `${JSON.stringify(result)}\n`);
  const tensors = Object.values(result.models).reduce((n, ranges) => n + Object.keys(ranges).length, 0);
  console.log(`wrote ${values.out}: ${tensors} tensor ranges of ${Object.keys(result.models).length} models from ${result.images} images`);
  return 0;
}
