/**
 * Reading a tar archive (plain or gzipped) from a stream with node-tar's Parser, the reader npm
 * itself uses: the caller's `want` picks entries by their header and node-tar skips the others
 * unread; each wanted entry's body is handed over as a stream, never buffered whole here.
 *
 *   await readTar(createReadStream('a.tar.gz'), {
 *     want: (header) => header.type === 'file' && header.name.endsWith('.bin'),
 *     onEntry: (header, body) => pipeline(body, createWriteStream(path.basename(header.name))),
 *   });
 */
import type { Readable } from 'node:stream';
import { Parser, type ReadEntry } from 'tar';
import { DataError } from './errors.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface TarHeader {
  /** Path inside the archive (long-name and pax extensions applied by node-tar). */
  name: string;
  type: TarEntryType;
  /** Body size in bytes. */
  size: number;
}

export interface ReadTarOptions {
  /** Entries it rejects are skipped unread. Default: every entry. */
  want?: (header: TarHeader) => boolean;
  /**
   * Called once per wanted entry, in archive order. It must consume `body` (directories and links
   * have an empty one); the next entry's bytes flow once it has.
   */
  onEntry: (header: TarHeader, body: AsyncIterable<Buffer>) => Promise<void>;
}

function entryType(type: ReadEntry['type']): TarEntryType {
  if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile') return 'file';
  if (type === 'Directory') return 'directory';
  if (type === 'SymbolicLink' || type === 'Link') return 'symlink';
  return 'other';
}

const headerOf = (entry: ReadEntry): TarHeader => ({ name: entry.path, type: entryType(entry.type), size: entry.size ?? 0 });

/** node-tar's own problems (bad header, bad gzip, truncation) as ARCHIVE_INVALID. */
function archiveInvalid(error: Error & { tarCode?: string; code?: string }): DataError {
  const zlib = typeof error.code === 'string' && error.code.startsWith('Z_');
  return new DataError('ARCHIVE_INVALID', zlib ? `not a valid gzip archive (${error.message})` : `tar: ${error.message}`, { cause: error });
}

/**
 * Streams `archive` through node-tar; resolves once every wanted entry was handed to `onEntry` and
 * its promise settled.
 * @throws DataError ARCHIVE_INVALID for an archive node-tar cannot read, or one that ends without
 * the end-of-archive blocks (truncated); errors of `archive` itself and of `onEntry` pass through.
 */
export function readTar(archive: Readable, options: ReadTarOptions): Promise<void> {
  const want = options.want ?? (() => true);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let sawEnd = false;
    const bodies: Promise<void>[] = [];
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      archive.unpipe(parser);
      archive.destroy();
      reject(error);
    };
    const parser = new Parser({
      strict: true,
      // Bodies flow when onEntry reads them, not before (node-tar would otherwise drop them).
      noResume: true,
      filter: (_path, entry) => want(headerOf(entry as ReadEntry)),
      onReadEntry: (entry) => bodies.push(options.onEntry(headerOf(entry), entry).catch(fail)),
    });
    // node-tar stops quietly at a cut between entries; the end-of-archive blocks tell a whole archive.
    parser.on('nullBlock', () => (sawEnd = true));
    parser.on('error', (error: Error) => fail(archiveInvalid(error)));
    parser.on('close', () => {
      void Promise.all(bodies).then(() => {
        if (!sawEnd) fail(new DataError('ARCHIVE_INVALID', 'tar: archive is truncated (it ends without the end-of-archive blocks)'));
        else if (!settled) {
          settled = true;
          resolve();
        }
      });
    });
    archive.on('error', fail);
    archive.pipe(parser);
  });
}
