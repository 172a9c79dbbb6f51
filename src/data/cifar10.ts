/**
 * CIFAR-10 in its official binary format: data_batch_1..5.bin (training) and test_batch.bin, each
 * a run of 3073-byte records (1 label byte, then 1024 R, 1024 G and 1024 B bytes, 32x32 row-major),
 * plus batches.meta.txt with the class names, one per line.
 *
 *   const dir = findCifar10Dir(config.data.cifar10Dir);
 *   const { labels, images, targets } = await loadCifar10(dir!, 'test', 1000);
 */
import { existsSync, statSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CIFAR10_HOWTO, DataError } from './errors.js';

export const CIFAR10_SIZE = 32;
export const CIFAR10_PIXELS = CIFAR10_SIZE * CIFAR10_SIZE;
/** Label byte + three 32x32 planes. */
export const CIFAR10_RECORD_BYTES = 1 + 3 * CIFAR10_PIXELS;
export const CIFAR10_META_FILE = 'batches.meta.txt';
export const CIFAR10_TEST_FILES = ['test_batch.bin'] as const;
export const CIFAR10_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'] as const;
/** Every file a complete folder holds (what the downloader keeps from the archive). */
export const CIFAR10_FILES = [CIFAR10_META_FILE, ...CIFAR10_TRAIN_FILES, ...CIFAR10_TEST_FILES] as const;
/** Environment variable naming the folder (searched after an explicitly configured path). */
export const CIFAR10_DIR_ENV = 'CIFAR10_DIR';

export type Cifar10Split = 'test' | 'train';

export interface Cifar10Set {
  /** Class names from batches.meta.txt, indexed by target. */
  labels: string[];
  /** One packed rgb24 (interleaved) 32x32 image per record. */
  images: Uint8Array[];
  /** Class index of each image. */
  targets: number[];
}

/** Where findCifar10Dir looks, in order (duplicates and unset entries left out). */
export function cifar10SearchPaths(configured?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  const candidates = [
    configured,
    env[CIFAR10_DIR_ENV]?.trim() || undefined,
    'data/cifar-10-batches-bin',
    '../shared/data/cifar-10-batches-bin',
  ];
  const resolved = candidates.filter((c): c is string => typeof c === 'string' && c !== '').map((c) => path.resolve(cwd, c));
  return [...new Set(resolved)];
}

/**
 * The first folder holding test_batch.bin among: `configured`, $CIFAR10_DIR,
 * ./data/cifar-10-batches-bin and ../shared/data/cifar-10-batches-bin (relative to the cwd).
 * Returns an absolute path, or null when none has it.
 */
export function findCifar10Dir(configured?: string): string | null {
  for (const dir of cifar10SearchPaths(configured)) {
    if (existsSync(path.join(dir, CIFAR10_TEST_FILES[0]))) return dir;
  }
  return null;
}

/** findCifar10Dir, or a DataError (CIFAR10_NOT_FOUND) listing where it looked and how to get the data. */
export function requireCifar10Dir(configured?: string): string {
  const dir = findCifar10Dir(configured);
  if (dir) return dir;
  const searched = cifar10SearchPaths(configured).map((p) => `  ${p}`).join('\n');
  throw new DataError('CIFAR10_NOT_FOUND', `CIFAR-10 not found; looked for test_batch.bin in:\n${searched}\n${CIFAR10_HOWTO}`);
}

/** Class names from batches.meta.txt (blank lines dropped). */
export async function readCifar10Labels(dir: string): Promise<string[]> {
  const file = path.join(dir, CIFAR10_META_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw missing(file, error);
  }
  const labels = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
  if (labels.length === 0 || labels.length > 256) {
    throw new DataError('CIFAR10_FILE_INVALID', `${file}: expected 1-256 class names, one per line; found ${labels.length}`, { file });
  }
  return labels;
}

/**
 * Reads a split (the training split is data_batch_1..5 in order), stopping after `limit` images:
 * only the bytes needed are read. Planes are converted to interleaved rgb24.
 * @throws DataError CIFAR10_FILE_MISSING / CIFAR10_FILE_INVALID naming the file.
 */
export async function loadCifar10(dir: string, split: Cifar10Split, limit?: number): Promise<Cifar10Set> {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  const labels = await readCifar10Labels(dir);
  const files = (split === 'test' ? CIFAR10_TEST_FILES : CIFAR10_TRAIN_FILES).map((name) => path.join(dir, name));
  // Check every file of the split up front, so a broken folder fails the same way whatever the limit.
  const counts = files.map(recordCount);
  const images: Uint8Array[] = [];
  const targets: number[] = [];
  let wanted = limit ?? Infinity;
  for (const [i, file] of files.entries()) {
    if (wanted <= 0) break;
    const take = Math.min(counts[i], wanted);
    await readRecords(file, take, labels.length, images, targets);
    wanted -= take;
  }
  return { labels, images, targets };
}

/**
 * One file of CIFAR-10 records (any name, e.g. a corrupted copy of the test batch), its first
 * `limit` images; labels must be below `classes`. Also reports how many records the file holds.
 * @throws DataError CIFAR10_FILE_MISSING / CIFAR10_FILE_INVALID naming the file.
 */
export async function loadCifar10File(
  file: string,
  classes: number,
  limit?: number,
): Promise<{ images: Uint8Array[]; targets: number[]; records: number }> {
  const records = recordCount(file);
  const images: Uint8Array[] = [];
  const targets: number[] = [];
  await readRecords(file, Math.min(records, limit ?? Infinity), classes, images, targets);
  return { images, targets, records };
}

/** Records in a batch file; throws when it is missing or not a whole number of records. */
function recordCount(file: string): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw missing(file, error);
  }
  if (size === 0 || size % CIFAR10_RECORD_BYTES !== 0) {
    throw new DataError(
      'CIFAR10_FILE_INVALID',
      `${file}: ${size} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records (truncated or not the binary version?)`,
      { file },
    );
  }
  return size / CIFAR10_RECORD_BYTES;
}

async function readRecords(file: string, count: number, classes: number, images: Uint8Array[], targets: number[]): Promise<void> {
  const bytes = Buffer.alloc(count * CIFAR10_RECORD_BYTES);
  const handle = await open(file, 'r');
  try {
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, 0);
    if (bytesRead !== bytes.length) throw new DataError('CIFAR10_FILE_INVALID', `${file}: short read (${bytesRead} of ${bytes.length} bytes)`, { file });
  } finally {
    await handle.close();
  }
  for (let r = 0; r < count; r++) {
    const record = bytes.subarray(r * CIFAR10_RECORD_BYTES, (r + 1) * CIFAR10_RECORD_BYTES);
    const target = record[0];
    if (target >= classes) {
      throw new DataError('CIFAR10_FILE_INVALID', `${file}: record ${r} has label ${target}, but ${CIFAR10_META_FILE} names only ${classes} classes`, { file });
    }
    targets.push(target);
    images.push(planesToInterleaved(record.subarray(1)));
  }
}

/** R plane, G plane, B plane (1024 bytes each) -> packed rgb24. */
export function planesToInterleaved(planes: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 * CIFAR10_PIXELS);
  for (let p = 0; p < CIFAR10_PIXELS; p++) {
    out[3 * p] = planes[p];
    out[3 * p + 1] = planes[CIFAR10_PIXELS + p];
    out[3 * p + 2] = planes[2 * CIFAR10_PIXELS + p];
  }
  return out;
}

/** Packed rgb24 -> R, G, B planes: the inverse of planesToInterleaved (for writing fixtures). */
export function interleavedToPlanes(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(3 * CIFAR10_PIXELS);
  for (let p = 0; p < CIFAR10_PIXELS; p++) {
    out[p] = rgb[3 * p];
    out[CIFAR10_PIXELS + p] = rgb[3 * p + 1];
    out[2 * CIFAR10_PIXELS + p] = rgb[3 * p + 2];
  }
  return out;
}

function missing(file: string, cause: unknown): DataError {
  const why = (cause as NodeJS.ErrnoException)?.code === 'ENOENT' ? 'file not found' : `cannot read it (${(cause as Error)?.message})`;
  return new DataError('CIFAR10_FILE_MISSING', `${file}: ${why}. ${CIFAR10_HOWTO}`, { file, cause });
}
