/**
 * An image folder for `eval --images DIR`: test images altered elsewhere (e.g. by another
 * implementation of the CIFAR-10-C corruptions), measured as they are, with no corruption applied
 * here. Everything is in CIFAR-10's binary format (records of 1 label byte + R, G, B planes):
 *
 *   DIR/clean.bin          the clean images: the clean row, and the reference for the pixel MSEs
 *   DIR/<condition>.bin    the same images altered, in the same order: one row per file
 *   DIR/batches.meta.txt   the class names, one per line (CIFAR-10's own file)
 *
 *   const folder = await loadImageFolder('.scratch/cifar10c-ref', 1000);
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ALL_CORRUPTION_TYPES } from '../corrupt/index.js';
import { CIFAR10_META_FILE, loadCifar10File, readCifar10Labels, type Cifar10Set } from '../data/cifar10.js';
import { DataError } from '../data/errors.js';
import { givenCondition, type EvalCondition } from './conditions.js';
import { EvalError } from './errors.js';

export const CLEAN_FILE = 'clean.bin';
const RECORDS_EXTENSION = '.bin';
/** A condition's name is its file name less '.bin'; it becomes a table row and a JSON key. */
const CONDITION_NAME = /^[A-Za-z0-9][\w.-]*$/;

export interface ImageFolder {
  /** The folder, as given. */
  dir: string;
  /** The clean images (the first `limit` of clean.bin), their targets and the class names. */
  clean: Cifar10Set;
  /** One per other .bin file: the standard corruptions in benchmark order, then the rest by name. */
  conditions: EvalCondition[];
}

/**
 * Reads and checks the folder: every file a whole number of records with known labels, every
 * condition holding the clean images' labels in the same order. Reads only the first `limit`
 * records of each file.
 * @throws EvalError EVAL_IMAGES_INVALID naming the folder or file and what is wrong with it.
 */
export async function loadImageFolder(dir: string, limit?: number): Promise<ImageFolder> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) invalid(`${dir}: not a folder`);
  const cleanFile = path.join(dir, CLEAN_FILE);
  const metaFile = path.join(dir, CIFAR10_META_FILE);
  for (const [file, role] of [
    [metaFile, 'the class names, one per line, as in CIFAR-10'],
    [cleanFile, 'the clean images (CIFAR-10 records), the reference for the clean row and the pixel MSEs'],
  ]) {
    if (!existsSync(file)) invalid(`${file}: file not found; an --images folder holds ${role}`);
  }
  const labels = await rethrown(readCifar10Labels(dir));
  const clean = await rethrown(loadCifar10File(cleanFile, labels.length, limit));
  const n = clean.images.length;

  const conditions: EvalCondition[] = [];
  for (const name of conditionNames(dir)) {
    const file = path.join(dir, name + RECORDS_EXTENSION);
    const altered = await rethrown(loadCifar10File(file, labels.length, limit));
    if (altered.records < n || (limit === undefined && altered.records !== clean.records)) {
      invalid(`${file}: holds ${altered.records} records, but ${CLEAN_FILE} holds ${clean.records}${limit === undefined ? '' : ` and ${n} are measured`}; every file must hold the same images`);
    }
    const mismatch = altered.targets.findIndex((target, i) => target !== clean.targets[i]);
    if (mismatch >= 0) {
      invalid(
        `${file}: record ${mismatch} has label ${altered.targets[mismatch]} (${labels[altered.targets[mismatch]]}), but ${CLEAN_FILE}'s record ${mismatch} has ` +
          `${clean.targets[mismatch]} (${labels[clean.targets[mismatch]]}); every file must hold the clean images in the same order`,
      );
    }
    conditions.push(givenCondition(name, altered.images));
  }
  if (conditions.length === 0) invalid(`${dir}: no <condition>.bin file beside ${CLEAN_FILE}`);
  return { dir, clean: { labels, images: clean.images, targets: clean.targets }, conditions };
}

/** The .bin files other than clean.bin, by condition name, in report order. */
function conditionNames(dir: string): string[] {
  const names = readdirSync(dir)
    .filter((file) => file.endsWith(RECORDS_EXTENSION) && file !== CLEAN_FILE)
    .map((file) => file.slice(0, -RECORDS_EXTENSION.length));
  for (const name of names) {
    if (!CONDITION_NAME.test(name)) invalid(`${path.join(dir, name + RECORDS_EXTENSION)}: a condition's name may hold only letters, digits, '_', '-' and '.'`);
  }
  const rank = (name: string) => {
    const standard = (ALL_CORRUPTION_TYPES as readonly string[]).indexOf(name);
    return standard >= 0 ? standard : ALL_CORRUPTION_TYPES.length;
  };
  return names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The data layer's file errors (they name the file and say why) under this folder's one code. */
async function rethrown<T>(reading: Promise<T>): Promise<T> {
  try {
    return await reading;
  } catch (error) {
    if (error instanceof DataError) throw new EvalError('EVAL_IMAGES_INVALID', error.message, { cause: error });
    throw error;
  }
}

function invalid(message: string): never {
  throw new EvalError('EVAL_IMAGES_INVALID', message);
}
