/** `decorruptor data cifar10`: downloads and unpacks the official CIFAR-10 binary archive. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CIFAR10_ARCHIVE_URL, CIFAR10_FOLDER, downloadCifar10 } from '../../data/download.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../progress.js';

const HELP = `Usage: decorruptor data cifar10 [--dir DIR] [--force] [--url URL]

Downloads the official CIFAR-10 binary archive (about 163 MB) from
${CIFAR10_ARCHIVE_URL}
and unpacks it into DIR/${CIFAR10_FOLDER}, where eval and the demo find it.

Options:
  --dir DIR   parent folder (default: data)
  --force     download again even when the data is already there
  --url URL   another copy of the same archive

Without internet: download the archive elsewhere, unpack it, and put the ${CIFAR10_FOLDER}
folder under ./data/, or set CIFAR10_DIR (or data.cifar10Dir in the config) to where it is.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    { dir: { type: 'string' }, force: { type: 'boolean' }, url: { type: 'string' } },
    true,
  );
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const [dataset, ...extra] = positionals;
  if (dataset !== 'cifar10' || extra.length > 0) {
    throw new UsageError(`${dataset === undefined ? 'name a data set' : `unknown data set '${[dataset, ...extra].join(' ')}'`}; only 'cifar10' is known\n\n${HELP}`);
  }
  const dataDir = values.dir ?? 'data';
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
