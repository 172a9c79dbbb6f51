// downloadCifar10 and extractCifar10Archive against a fake CIFAR-10 archive (made with the system
// tar) served from a local HTTP server: nothing leaves this machine.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCifar10 } from '../../src/data/cifar10.js';
import { downloadCifar10, extractCifar10Archive } from '../../src/data/download.js';
import { DataError } from '../../src/data/errors.js';
import { TINY_LABELS, tinyTestBatch } from '../fixtures/cifar-tiny/generate.js';

let dir: string;
let server: Server;
let baseUrl: string;
const archives: Record<string, Buffer> = {};

/** A CIFAR-shaped .tar.gz: the meta file, 5 training batches, the test batch and a readme. */
function makeArchive(name: string, omit?: string): Buffer {
  const root = path.join(dir, `src-${name}`);
  const folder = path.join(root, 'cifar-10-batches-bin');
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'batches.meta.txt'), `${TINY_LABELS.join('\n')}\n\n`);
  for (let k = 1; k <= 5; k++) writeFileSync(path.join(folder, `data_batch_${k}.bin`), tinyTestBatch(2));
  writeFileSync(path.join(folder, 'test_batch.bin'), tinyTestBatch(4));
  writeFileSync(path.join(folder, 'readme.html'), '<p>not needed</p>');
  if (omit) rmSync(path.join(folder, omit));
  const file = path.join(dir, `${name}.tar.gz`);
  execFileSync('tar', ['-czf', file, '-C', root, 'cifar-10-batches-bin']);
  return readFileSync(file);
}

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
  assert.equal(error.code, code);
  return true;
};

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cifar-download-'));
  archives['/good.tar.gz'] = makeArchive('good');
  archives['/no-test.tar.gz'] = makeArchive('no-test', 'test_batch.bin');
  archives['/not-gzip.tar.gz'] = Buffer.from('this is not a gzip file at all');
  server = createServer((request, response) => {
    const body = archives[request.url ?? ''];
    if (!body) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-length': body.length, 'content-type': 'application/gzip' });
    // Two writes, the second one later: progress may come in more than one step.
    response.write(body.subarray(0, body.length >> 1));
    setTimeout(() => response.end(body.subarray(body.length >> 1)), 5);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('downloadCifar10', () => {
  it('downloads, unpacks only the data files, and reports progress', async () => {
    const dataDir = path.join(dir, 'data-good');
    const progress: Array<{ received: number; total: number | undefined }> = [];
    const folder = await downloadCifar10({ dataDir, url: `${baseUrl}/good.tar.gz`, onProgress: (p) => progress.push({ ...p }) });
    assert.equal(folder, path.join(dataDir, 'cifar-10-batches-bin'));
    assert.deepEqual(readdirSync(folder).sort(), ['batches.meta.txt', 'data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin']);
    assert.deepEqual(readdirSync(dataDir), ['cifar-10-batches-bin'], 'no staging folder is left behind');
    assert.equal((await loadCifar10(folder, 'test')).images.length, 4);
    assert.equal((await loadCifar10(folder, 'train')).images.length, 10);
    const size = archives['/good.tar.gz'].length;
    assert.ok(progress.length >= 1);
    assert.deepEqual(progress.at(-1), { received: size, total: size });
  });

  it('fails with DOWNLOAD_FAILED and says how to get the data when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dataDir = path.join(dir, 'data-offline');
    await assert.rejects(downloadCifar10({ dataDir, url: `http://127.0.0.1:${port}/x.tar.gz` }), (error: unknown) => {
      withCode('DOWNLOAD_FAILED')(error);
      assert.match((error as Error).message, /CIFAR10_DIR/);
      assert.match((error as Error).message, /data\//);
      return true;
    });
    assert.equal(existsSync(path.join(dataDir, 'cifar-10-batches-bin')), false);
  });

  it('fails with DOWNLOAD_FAILED on an HTTP error status', async () => {
    await assert.rejects(downloadCifar10({ dataDir: path.join(dir, 'data-404'), url: `${baseUrl}/missing.tar.gz` }), withCode('DOWNLOAD_FAILED'));
  });

  it('fails with ARCHIVE_INVALID on a body that is not gzip, leaving nothing behind', async () => {
    const dataDir = path.join(dir, 'data-garbage');
    await assert.rejects(downloadCifar10({ dataDir, url: `${baseUrl}/not-gzip.tar.gz` }), withCode('ARCHIVE_INVALID'));
    assert.deepEqual(readdirSync(dataDir), []);
  });

  it('fails with ARCHIVE_INVALID when the archive lacks a batch', async () => {
    const dataDir = path.join(dir, 'data-incomplete');
    await assert.rejects(downloadCifar10({ dataDir, url: `${baseUrl}/no-test.tar.gz` }), (error: unknown) => {
      withCode('ARCHIVE_INVALID')(error);
      assert.match((error as Error).message, /test_batch\.bin/);
      return true;
    });
    assert.equal(existsSync(path.join(dataDir, 'cifar-10-batches-bin')), false);
  });
});

describe('extractCifar10Archive', () => {
  it('unpacks a local archive flat into a folder', async () => {
    const folder = path.join(dir, 'local', 'cifar');
    await extractCifar10Archive(createReadStream(path.join(dir, 'good.tar.gz')), folder);
    assert.equal((await loadCifar10(folder, 'test')).images.length, 4);
    assert.equal(existsSync(path.join(folder, 'readme.html')), false);
  });
});
