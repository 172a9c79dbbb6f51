// readTar (node-tar underneath) against archives made by the system's GNU tar, in its three formats.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../src/data/errors.js';
import { readTar, type TarHeader } from '../../src/data/tar.js';

let dir: string;
const LONG_NAME = `${'deeply-nested-folder-name/'.repeat(5)}${'a'.repeat(60)}.bin`; // > 100 chars: needs an extension

/** name -> contents of the tree the archives are made from. */
const FILES: Record<string, Buffer> = {
  'top.txt': Buffer.from('hello tar\n'),
  'sub/empty.bin': Buffer.alloc(0),
  'sub/block.bin': Buffer.alloc(512, 7), // exactly one block: no padding
  'sub/odd.bin': Buffer.from(Array.from({ length: 1537 }, (_, i) => (i * 31) % 256)),
  [LONG_NAME]: Buffer.from('long name body'),
};

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'tar-reader-'));
  const tree = path.join(dir, 'tree');
  for (const [name, data] of Object.entries(FILES)) {
    mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
    writeFileSync(path.join(tree, name), data);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function makeTar(format: 'gnu' | 'pax' | 'ustar'): Buffer {
  const file = path.join(dir, `${format}.tar.gz`);
  execFileSync('tar', [`--format=${format}`, '-czf', file, '-C', path.join(dir, 'tree'), '.']);
  return readFileSync(file);
}

type Entry = TarHeader & { data: Buffer };

/** Collects an entry's streamed body. */
async function concat(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Feeds a tar in chunks of `chunkSize` bytes and collects what the reader reports. */
async function readEntries(tar: Buffer, chunkSize: number, want?: (name: string) => boolean): Promise<Entry[]> {
  const entries: Entry[] = [];
  const chunks = Array.from({ length: Math.ceil(tar.length / chunkSize) }, (_, i) => tar.subarray(i * chunkSize, (i + 1) * chunkSize));
  await readTar(Readable.from(chunks), { want: want && ((h) => want(h.name)), onEntry: async (h, body) => void entries.push({ ...h, data: await concat(body) }) });
  return entries;
}

const strip = (name: string) => name.replace(/^\.\//, '').replace(/\/$/, '');

describe('readTar', () => {
  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads a ${format} archive made by GNU tar, whatever the chunking`, async () => {
      if (format === 'ustar') {
        // ustar has no long-name extension: the 100+ char name goes into the prefix field.
        assert.ok(LONG_NAME.length < 255);
      }
      const tar = gunzipSync(makeTar(format));
      for (const chunkSize of [tar.length, 4096, 511, 7]) {
        const entries = await readEntries(tar, chunkSize);
        const files = Object.fromEntries(entries.filter((e) => e.type === 'file').map((e) => [strip(e.name), e.data]));
        assert.deepEqual(Object.keys(files).sort(), Object.keys(FILES).sort(), `${format}, chunks of ${chunkSize}`);
        for (const [name, data] of Object.entries(FILES)) assert.ok(files[name].equals(data), `${name} (${format}, ${chunkSize})`);
        assert.ok(entries.some((e) => e.type === 'directory' && strip(e.name) === 'sub'));
      }
    });
  }

  it('skips unwanted entries without reporting them', async () => {
    const entries = await readEntries(gunzipSync(makeTar('gnu')), 1000, (name) => name.endsWith('odd.bin'));
    assert.deepEqual(entries.map((e) => strip(e.name)), ['sub/odd.bin']);
    assert.equal(entries[0].data.length, 1537);
  });

  it('reads a gzipped archive from a file stream (node-tar gunzips it)', async () => {
    const file = path.join(dir, 'stream.tar.gz');
    writeFileSync(file, makeTar('pax'));
    const files: Record<string, Buffer> = {};
    await readTar(createReadStream(file), { onEntry: async (h, body) => void (files[strip(h.name)] = await concat(body)) });
    assert.ok(files['top.txt'].equals(FILES['top.txt']));
  });

  it('rejects a corrupted header (ARCHIVE_INVALID)', async () => {
    const tar = Buffer.from(gunzipSync(makeTar('gnu')));
    tar[20] ^= 0xff; // inside the first entry's name: the checksum no longer matches
    await assert.rejects(readEntries(tar, 4096), (error: unknown) => error instanceof DataError && error.code === 'ARCHIVE_INVALID');
  });

  it('rejects a truncated archive (ARCHIVE_INVALID)', async () => {
    const tar = gunzipSync(makeTar('gnu'));
    const cut = tar.subarray(0, 512 + 5); // first header and a few body bytes
    await assert.rejects(readEntries(cut, 4096), (error: unknown) => error instanceof DataError && error.code === 'ARCHIVE_INVALID' && /truncated/.test(error.message));
  });
});
