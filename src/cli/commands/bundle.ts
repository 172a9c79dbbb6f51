/** `decorruptor bundle inspect|check|new`: model bundle tools (logic in src/bundle-tools, this file only wires it). */
import {
  BundleToolError,
  checkBundle,
  formatCheck,
  formatInspection,
  inspectBundle,
  newBundle,
  readLabelsFile,
} from '../../bundle-tools/index.js';
import { loadConfig } from '../../config/index.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';

const HELP = `Usage: decorruptor bundle inspect [DIR] [--json]
       decorruptor bundle check [DIR] [--json]
       decorruptor bundle new --from DIR --classifier MODEL.onnx --out NEWDIR
                              [--mean R,G,B --std R,G,B] [--labels FILE] [options]

A model bundle is a folder with manifest.json and the ONNX files it names (docs/models.md).

inspect  each model's inputs and outputs (names, types, shapes), size and parameter count, and
         for each role it plays what the manifest expects of it and whether it meets that
check    opens the bundle as serve does, once per editor, and runs one batch through the
         classifier and that editor
new      writes NEWDIR: MODEL.onnx (copied) with the editor of the bundle in --from (its files
         named by relative path, not copied), then checks it; NEWDIR appears only if it passes

DIR defaults to model.bundle of the configuration (models/cifar10).

Options of new:
  --from DIR            the bundle whose editor the new one reuses (default: model.bundle)
  --classifier FILE     the classifier, ONNX: [B,3,H,W] RGB normalised with (x - mean) / std -> [B,K] logits
  --out NEWDIR          a folder that does not exist yet (or an empty one)
  --mean R,G,B          per-channel mean of the classifier's [0,1] input (default: the --from bundle's)
  --std R,G,B           per-channel std (default: the --from bundle's)
  --labels FILE         class names, one per line, in the classifier's output order (default: the --from bundle's)
  --input-size WxH      classifier input size, when the model does not fix it (default: the --from bundle's)
  --input NAME, --output NAME
                        the classifier's tensor names, when it has several inputs or outputs
  --name NAME           bundle name (default: <from name>+<model file name>)

Other options:
  --json                print the report as JSON instead of text
  --providers LIST      execution providers for check and new (default: model.providers)
  --config FILE         configuration file

Exit status: 0 the bundle is fine, 2 it has problems (each named with its file and code) or bad usage.`;

const OPTIONS = {
  json: { type: 'boolean' },
  from: { type: 'string' },
  classifier: { type: 'string' },
  out: { type: 'string' },
  mean: { type: 'string' },
  std: { type: 'string' },
  labels: { type: 'string' },
  'input-size': { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  name: { type: 'string' },
  providers: { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

function triple(value: string | undefined, flag: string): [number, number, number] | undefined {
  if (value === undefined) return undefined;
  const numbers = value.split(',').map((part) => Number(part.trim()));
  if (numbers.length !== 3 || numbers.some((n) => !Number.isFinite(n)) || (flag === 'std' && numbers.some((n) => n <= 0))) {
    throw new UsageError(`--${flag}: expected three ${flag === 'std' ? 'positive ' : ''}numbers R,G,B (e.g. ${flag === 'std' ? '0.5,0.5,0.5' : '0.485,0.456,0.406'}), got "${value}"`);
  }
  return numbers as [number, number, number];
}

function sizeOption(value: string | undefined): { width: number; height: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new UsageError(`--input-size: expected WxH, e.g. 224x224, got "${value}"`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** Bundle problems (BundleError, BundleToolError) are the user's to fix: exit 2, like bad usage. */
function isBundleProblem(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('BUNDLE_');
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [action, dirArg, ...extra] = positionals;
  if (extra.length > 0 || (action === 'new' && dirArg !== undefined)) throw new UsageError(`unexpected argument '${[...(action === 'new' ? [dirArg] : []), ...extra].join(' ')}'\n\n${HELP}`);
  const config = await loadConfig({ file: values.config });
  const providers = values.providers ? values.providers.split(',').map((p) => p.trim()).filter(Boolean) : config.model.providers;
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
      default:
        throw new UsageError(`${action === undefined ? 'name an action' : `unknown action '${action}'`}: inspect, check or new\n\n${HELP}`);
    }
  } catch (error) {
    if (!isBundleProblem(error)) throw error;
    const code = (error as { code: string }).code;
    console.error(`decorruptor bundle: ${(error as Error).message}${error instanceof BundleToolError ? '' : ` [${code}]`}`);
    return 2;
  }
}

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

async function runNew(values: Values, defaultFrom: string, checkOptions: { providers: string[]; intraOpThreads?: number }): Promise<number> {
  if (!values.classifier) throw new UsageError('bundle new: --classifier MODEL.onnx is required');
  if (!values.out) throw new UsageError('bundle new: --out NEWDIR is required');
  const result = await newBundle({
    ...checkOptions,
    from: values.from ?? defaultFrom,
    classifier: values.classifier,
    out: values.out,
    mean: triple(values.mean, 'mean'),
    std: triple(values.std, 'std'),
    labels: values.labels === undefined ? undefined : await readLabelsFile(values.labels),
    inputSize: sizeOption(values['input-size']),
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
