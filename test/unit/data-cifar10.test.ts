import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CIFAR10_RECORD_BYTES,
  cifar10SearchPaths,
  findCifar10Dir,
  interleavedToPlanes,
  loadCifar10,
  planesToInterleaved,
  requireCifar10Dir,
} from '../../src/data/cifar10.js';
import { DataError } from '../../src/data/errors.js';
import { TINY_COUNT, TINY_LABELS, tinyImage, tinyCifarDir } from '../fixtures/cifar-tiny/generate.js';

const TINY = tinyCifarDir();
let dir: string;

/** A record whose every pixel of plane c is `value + c`. */
function record(label: number, value: number): Buffer {
  const planes = Buffer.alloc(CIFAR10_RECORD_BYTES - 1);
  for (let c = 0; c < 3; c++) planes.fill(value + c, c * 1024, (c + 1) * 1024);
  return Buffer.concat([Buffer.of(label), planes]);
}

/** A fake training split: batch k holds two records with labels k-1 and values 10k, 10k+1. */
function writeTrainSplit(folder: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'batches.meta.txt'), `${TINY_LABELS.join('\n')}\n`);
  for (let k = 1; k <= 5; k++) {
    writeFileSync(path.join(folder, `data_batch_${k}.bin`), Buffer.concat([record(k - 1, 10 * k), record(k - 1, 10 * k + 3)]));
  }
}

const errorWith = (code: string, file?: string) => (error: unknown) => {
  assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
  assert.equal(error.code, code);
  if (file) {
    assert.equal(error.file, file);
    assert.ok(error.message.includes(file), 'the message names the file');
  }
  return true;
};

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cifar10-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadCifar10', () => {
  it('reads the test split: class names, targets and interleaved rgb24 images', async () => {
    const set = await loadCifar10(TINY, 'test');
    assert.deepEqual(set.labels, TINY_LABELS);
    assert.equal(set.images.length, TINY_COUNT);
    for (let i = 0; i < TINY_COUNT; i++) {
      const expected = tinyImage(i);
      assert.equal(set.targets[i], expected.target);
      assert.deepEqual(set.images[i], expected.rgb);
    }
  });

  it('stops after `limit` images', async () => {
    const set = await loadCifar10(TINY, 'test', 3);
    assert.equal(set.images.length, 3);
    assert.deepEqual(set.targets, [0, 1, 2]);
  });

  it('reads the training split from data_batch_1..5 in order, limit spanning files', async () => {
    const folder = path.join(dir, 'train');
    writeTrainSplit(folder);
    const all = await loadCifar10(folder, 'train');
    assert.deepEqual(all.targets, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    assert.deepEqual([...all.images[2].subarray(0, 6)], [20, 21, 22, 20, 21, 22]);
    const some = await loadCifar10(folder, 'train', 5);
    assert.deepEqual(some.targets, [0, 0, 1, 1, 2]);
  });

  it('names a missing batch file (CIFAR10_FILE_MISSING)', async () => {
    const folder = path.join(dir, 'missing-batch');
    writeTrainSplit(folder);
    rmSync(path.join(folder, 'data_batch_4.bin'));
    await assert.rejects(loadCifar10(folder, 'train', 1), errorWith('CIFAR10_FILE_MISSING', path.join(folder, 'data_batch_4.bin')));
    await assert.rejects(loadCifar10(folder, 'test'), errorWith('CIFAR10_FILE_MISSING', path.join(folder, 'test_batch.bin')));
  });

  it('names a missing batches.meta.txt', async () => {
    const folder = path.join(dir, 'missing-meta');
    writeTrainSplit(folder);
    rmSync(path.join(folder, 'batches.meta.txt'));
    await assert.rejects(loadCifar10(folder, 'train'), errorWith('CIFAR10_FILE_MISSING', path.join(folder, 'batches.meta.txt')));
  });

  it('rejects a batch whose size is not a multiple of 3073 (CIFAR10_FILE_INVALID)', async () => {
    const folder = path.join(dir, 'truncated');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'batches.meta.txt'), TINY_LABELS.join('\n'));
    const file = path.join(folder, 'test_batch.bin');
    writeFileSync(file, Buffer.concat([record(1, 5), record(2, 6)]).subarray(0, 2 * CIFAR10_RECORD_BYTES - 100));
    await assert.rejects(loadCifar10(folder, 'test'), errorWith('CIFAR10_FILE_INVALID', file));
  });

  it('rejects a label beyond the class list', async () => {
    const folder = path.join(dir, 'bad-label');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'batches.meta.txt'), 'a\nb\n');
    writeFileSync(path.join(folder, 'test_batch.bin'), Buffer.concat([record(1, 5), record(7, 6)]));
    await assert.rejects(loadCifar10(folder, 'test'), errorWith('CIFAR10_FILE_INVALID'));
  });
});

describe('plane conversion', () => {
  it('planesToInterleaved and interleavedToPlanes are inverses', () => {
    const rgb = Uint8Array.from({ length: 3072 }, (_, i) => (i * 7) % 256);
    const planes = interleavedToPlanes(rgb);
    assert.equal(planes[0], rgb[0]);
    assert.equal(planes[1024], rgb[1]);
    assert.equal(planes[2048 + 1], rgb[5]);
    assert.deepEqual(planesToInterleaved(planes), rgb);
  });
});

describe('findCifar10Dir', () => {
  it('searches the configured path, $CIFAR10_DIR, ./data, ../shared/data, in that order', () => {
    const paths = cifar10SearchPaths('custom/dir', { CIFAR10_DIR: '/env/dir' }, '/work/app');
    assert.deepEqual(paths, ['/work/app/custom/dir', '/env/dir', '/work/app/data/cifar-10-batches-bin', '/work/shared/data/cifar-10-batches-bin']);
    assert.deepEqual(cifar10SearchPaths(undefined, { CIFAR10_DIR: ' ' }, '/a'), ['/a/data/cifar-10-batches-bin', '/shared/data/cifar-10-batches-bin']);
  });

  it('returns the first folder holding test_batch.bin, else null', () => {
    const cwd = process.cwd();
    const savedEnv = process.env.CIFAR10_DIR;
    const empty = path.join(dir, 'empty', 'cwd');
    mkdirSync(empty, { recursive: true });
    try {
      process.chdir(empty);
      delete process.env.CIFAR10_DIR;
      assert.equal(findCifar10Dir(path.join(dir, 'nowhere')), null);
      assert.throws(() => requireCifar10Dir(), errorWith('CIFAR10_NOT_FOUND'));
      assert.throws(() => requireCifar10Dir(), /CIFAR10_DIR/);
      process.env.CIFAR10_DIR = TINY;
      assert.equal(findCifar10Dir(path.join(dir, 'nowhere')), TINY);
      const configured = path.join(dir, 'configured');
      mkdirSync(configured, { recursive: true });
      writeFileSync(path.join(configured, 'test_batch.bin'), record(0, 1));
      assert.equal(findCifar10Dir(configured), configured, 'the configured folder comes before $CIFAR10_DIR');
    } finally {
      process.chdir(cwd);
      if (savedEnv === undefined) delete process.env.CIFAR10_DIR;
      else process.env.CIFAR10_DIR = savedEnv;
    }
  });
});
