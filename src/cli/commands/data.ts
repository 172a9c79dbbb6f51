/** `decorruptor data cifar10`: downloads and unpacks the official CIFAR-10 binary archive. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CIFAR10_ARCHIVE_URL, CIFAR10_FOLDER, downloadCifar10 } from '../../data/download.js';
import { UsageError } from '../errors.js';
import { defineCommand } from '../options.js';
import { createProgress } from '../progress.js';

export const COMMAND = defineCommand({
  name: 'data',
  usage: 'decorruptor data cifar10 [--dir DIR] [--force] [--url URL]',
  about: `Downloads the official CIFAR-10 binary archive (about 163 MB) from
${CIFAR10_ARCHIVE_URL}
and unpacks it into DIR/${CIFAR10_FOLDER}, where eval and the demo find it.`,
  positionals: true,
  options: {
    dir: { type: 'string', value: 'DIR', description: 'parent folder', default: 'data' },
    force: { type: 'boolean', description: 'download again even when the data is already there' },
    url: { type: 'string', value: 'URL', description: 'another copy of the same archive' },
  },
  footer: `Without internet: download the archive elsewhere, unpack it, and put the ${CIFAR10_FOLDER}
folder under ./data/, or set CIFAR10_DIR (or data.cifar10Dir in the config) to where it is.`,
});

export async function run(argv: string[]): Promise<number> {
  const { help, values, positionals } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const [dataset, ...extra] = positionals;
  if (dataset !== 'cifar10' || extra.length > 0) {
    throw new UsageError(`${dataset === undefined ? 'name a data set' : `unknown data set '${[dataset, ...extra].join(' ')}'`}; only 'cifar10' is known\n\n${COMMAND.help}`);
  }
  const dataDir = values.dir;
  const target = path.resolve(dataDir, CIFAR10_FOLDER);
  if (!values.force && existsSync(path.join(target, 'test_batch.bin'))) {
    console.log(`CIFAR-10 is already in ${target} (use --force to download it again)`);
    return 0;
  }
  process.stderr.write(`downloading ${values.url ?? CIFAR10_ARCHIVE_URL}\n`);
  const progress = createProgress({ label: 'cifar10', unit: 'bytes' });
  try {
    await downloadCifar10({ dataDir, url: values.url, onProgress: ({ received, total }) => progress.update(received, total) });
    progress.done();
  } catch (error) {
    progress.clear();
    throw error;
  }
  console.log(`CIFAR-10 is in ${target}`);
  if (path.resolve(dataDir) !== path.resolve('data')) {
    console.log(`point CIFAR10_DIR or data.cifar10Dir at it, e.g. CIFAR10_DIR=${target}`);
  }
  return 0;
}
