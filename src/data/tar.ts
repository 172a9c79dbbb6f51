/**
 * A small streaming reader for tar archives (POSIX ustar, with the GNU long-name and pax path
 * extensions that GNU tar and bsdtar write), so the CIFAR-10 archive can be unpacked without a
 * dependency or a `tar` binary. It reads; it never writes to disk itself: the caller decides which
 * entries it wants (others are skipped without being buffered) and what to do with them.
 *
 *   await pipeline(createReadStream('a.tar.gz'), createGunzip(), new TarReader({
 *     want: (header) => header.type === 'file' && header.name.endsWith('.bin'),
 *     onEntry: (entry) => writeFile(path.basename(entry.name), entry.data),
 *   }));
 */
import { Writable } from 'node:stream';
import { DataError } from './errors.js';

const BLOCK = 512;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface TarHeader {
  /** Path inside the archive, with the ustar prefix / long-name extensions applied. */
  name: string;
  type: TarEntryType;
  /** Body size in bytes. */
  size: number;
  mode: number;
  /** Link target for symlinks (and hard links), else ''. */
  linkName: string;
}

export interface TarEntry extends TarHeader {
  /** The whole body (empty for directories and links). */
  data: Buffer;
}

export interface TarReaderOptions {
  /** Entries it rejects are skipped without buffering their bodies. Default: every entry. */
  want?: (header: TarHeader) => boolean;
  /** Called once per wanted entry, in archive order; the reader waits for a returned promise. */
  onEntry: (entry: TarEntry) => void | Promise<void>;
}

/** What the parser is waiting for next. */
type State =
  | { kind: 'header' }
  | { kind: 'body'; header: TarHeader; typeFlag: string; remaining: number; padding: number; buffer: Buffer | null; filled: number }
  | { kind: 'padding'; remaining: number }
  | { kind: 'end' };

/** A Writable that parses a tar byte stream; errors are DataErrors with code ARCHIVE_INVALID. */
export class TarReader extends Writable {
  readonly #want: (header: TarHeader) => boolean;
  readonly #onEntry: (entry: TarEntry) => void | Promise<void>;
  #state: State = { kind: 'header' };
  /** Bytes of a header block not yet complete. */
  #partial: Buffer = Buffer.alloc(0);
  /** Name/size overrides from a preceding GNU 'L' or pax 'x' entry, for the next entry only. */
  #override: { name?: string; size?: number; linkName?: string } = {};
  #entries = 0;

  constructor(options: TarReaderOptions) {
    super();
    this.#want = options.want ?? (() => true);
    this.#onEntry = options.onEntry;
  }

  /** Entries seen so far (wanted or not, extension headers excluded). */
  get entries(): number {
    return this.#entries;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#consume(chunk).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const atBoundary = this.#state.kind === 'end' || (this.#state.kind === 'header' && this.#partial.length === 0);
    callback(atBoundary ? null : invalid(`archive is truncated (ended inside ${this.#state.kind === 'header' ? 'a header' : 'an entry'})`));
  }

  async #consume(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const state = this.#state;
      switch (state.kind) {
        case 'end':
          return; // trailing zero blocks and whatever follows them are ignored, like tar does
        case 'padding': {
          const skip = Math.min(state.remaining, chunk.length - offset);
          offset += skip;
          state.remaining -= skip;
          if (state.remaining === 0) this.#state = { kind: 'header' };
          break;
        }
        case 'header': {
          const need = BLOCK - this.#partial.length;
          const piece = chunk.subarray(offset, offset + need);
          offset += piece.length;
          this.#partial = this.#partial.length === 0 && piece.length === BLOCK ? piece : Buffer.concat([this.#partial, piece]);
          if (this.#partial.length === BLOCK) {
            const block = this.#partial;
            this.#partial = Buffer.alloc(0);
            await this.#onHeader(block);
          }
          break;
        }
        case 'body': {
          const take = Math.min(state.remaining, chunk.length - offset);
          if (state.buffer) chunk.copy(state.buffer, state.filled, offset, offset + take);
          state.filled += take;
          state.remaining -= take;
          offset += take;
          if (state.remaining === 0) await this.#onBody(state);
          break;
        }
      }
    }
  }

  async #onHeader(block: Buffer): Promise<void> {
    if (block.every((byte) => byte === 0)) {
      // The archive ends with two zero blocks; one is enough to know we are done.
      this.#state = { kind: 'end' };
      return;
    }
    verifyChecksum(block);
    const typeFlag = block[156] === 0 ? '0' : String.fromCharCode(block[156]);
    const override = this.#override;
    const prefix = isUstar(block) ? text(block, 345, 155) : '';
    const baseName = text(block, 0, 100);
    const header: TarHeader = {
      name: override.name ?? (prefix ? `${prefix}/${baseName}` : baseName),
      type: entryType(typeFlag),
      size: override.size ?? number(block, 124, 12, 'size'),
      mode: number(block, 100, 8, 'mode'),
      linkName: override.linkName ?? text(block, 157, 100),
    };
    const isExtension = typeFlag === 'L' || typeFlag === 'K' || typeFlag === 'x' || typeFlag === 'g';
    if (!isExtension) {
      this.#override = {};
      this.#entries++;
    }
    // Links and directories have no body even if a size is written.
    const bodySize = header.type === 'directory' || header.type === 'symlink' ? 0 : header.size;
    const keep = isExtension || this.#want(header);
    const state: Extract<State, { kind: 'body' }> = {
      kind: 'body',
      header,
      typeFlag,
      remaining: bodySize,
      padding: (BLOCK - (bodySize % BLOCK)) % BLOCK,
      buffer: keep ? Buffer.allocUnsafe(bodySize) : null,
      filled: 0,
    };
    if (bodySize === 0) await this.#onBody(state);
    else this.#state = state;
  }

  async #onBody(state: Extract<State, { kind: 'body' }>): Promise<void> {
    this.#state = state.padding > 0 ? { kind: 'padding', remaining: state.padding } : { kind: 'header' };
    const data = state.buffer ?? Buffer.alloc(0);
    switch (state.typeFlag) {
      case 'L': // GNU: the body is the next entry's name
        this.#override.name = data.toString('utf8').replace(/\0.*$/s, '');
        return;
      case 'K': // GNU: the body is the next entry's link target
        this.#override.linkName = data.toString('utf8').replace(/\0.*$/s, '');
        return;
      case 'x':
        Object.assign(this.#override, paxOverrides(data));
        return;
      case 'g': // global pax settings: nothing we use
        return;
    }
    if (state.buffer) await this.#onEntry({ ...state.header, data });
  }
}

function entryType(flag: string): TarEntryType {
  if (flag === '0' || flag === '7') return 'file'; // '7': contiguous file, a plain file in practice
  if (flag === '5') return 'directory';
  if (flag === '1' || flag === '2') return 'symlink';
  return 'other';
}

function isUstar(block: Buffer): boolean {
  // POSIX writes "ustar\0", old GNU "ustar  \0" (whose bytes 345.. are not a prefix).
  return block.toString('latin1', 257, 263) === 'ustar\0';
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end === -1 ? length : end);
}

/** Octal ASCII (NUL/space padded), or GNU base-256 when the top bit of the first byte is set. */
function number(block: Buffer, start: number, length: number, field: string): number {
  const bytes = block.subarray(start, start + length);
  if (bytes[0] & 0x80) {
    let value = bytes[0] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + bytes[i];
    return value;
  }
  const digits = bytes.toString('latin1').replace(/[\0 ]+$/, '').trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw invalid(`bad ${field} field in a header: "${digits}"`);
  return parseInt(digits, 8);
}

function verifyChecksum(block: Buffer): void {
  const stored = number(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  if (sum !== stored) throw invalid('header checksum mismatch (not a tar archive, or corrupted)');
}

/** pax records: "<length> <key>=<value>\n", repeated. Only path, linkpath and size matter here. */
function paxOverrides(data: Buffer): { name?: string; size?: number; linkName?: string } {
  const result: { name?: string; size?: number; linkName?: string } = {};
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number(data.toString('latin1', offset, space));
    if (!Number.isInteger(length) || length <= 0) throw invalid('bad pax extended header');
    const record = data.toString('utf8', space + 1, offset + length - 1); // drop the trailing \n
    const equals = record.indexOf('=');
    const key = record.slice(0, equals);
    const value = record.slice(equals + 1);
    if (key === 'path') result.name = value;
    else if (key === 'linkpath') result.linkName = value;
    else if (key === 'size') result.size = Number(value);
    offset += length;
  }
  return result;
}

function invalid(detail: string): DataError {
  return new DataError('ARCHIVE_INVALID', `tar: ${detail}`);
}
