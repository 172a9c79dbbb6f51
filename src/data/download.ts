/**
 * Fetches the official CIFAR-10 binary archive and unpacks it into <dataDir>/cifar-10-batches-bin,
 * with node's fetch and node-tar (which also gunzips), streaming: no `tar` binary. The
 * files land in a temporary folder first and are moved into place once all are there and valid,
 * so an interrupted download never leaves a half-filled folder that findCifar10Dir would accept.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline as pipeStreams, Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CIFAR10_FILES, loadCifar10 } from './cifar10.js';
import { CIFAR10_HOWTO, DataError } from './errors.js';
import { readTar, type ReadTarOptions } from './tar.js';

export const CIFAR10_ARCHIVE_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** Folder name inside the archive, kept as the folder name on disk. */
export const CIFAR10_FOLDER = 'cifar-10-batches-bin';

export interface DownloadProgress {
  /** Compressed bytes received so far. */
  received: number;
  /** Content-Length, when the server sent one. */
  total: number | undefined;
}

export interface DownloadCifar10Options {
  /** Parent folder; the data lands in <dataDir>/cifar-10-batches-bin. */
  dataDir: string;
  url?: string;
  /** Give up when no byte arrives for this long (connecting included). Default 60 s. */
  stallTimeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
}

/**
 * Downloads and unpacks the archive; resolves with the absolute path of the data folder.
 * @throws DataError DOWNLOAD_FAILED (network, HTTP status) or ARCHIVE_INVALID (bad or incomplete archive).
 */
export async function downloadCifar10(options: DownloadCifar10Options): Promise<string> {
  const url = options.url ?? CIFAR10_ARCHIVE_URL;
  const target = path.resolve(options.dataDir, CIFAR10_FOLDER);
  const staging = path.resolve(options.dataDir, `.${CIFAR10_FOLDER}.partial-${process.pid}`);
  const stall = new StallWatch(options.stallTimeoutMs ?? 60_000);
  try {
    const response = await fetch(url, { signal: stall.signal }).catch((error: unknown) => {
      throw downloadFailed(url, describeFetchError(error, stall), error);
    });
    if (!response.ok || !response.body) throw downloadFailed(url, `HTTP ${response.status} ${response.statusText}`);
    const length = Number(response.headers.get('content-length'));
    const total = Number.isFinite(length) && length > 0 ? length : undefined;

    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
        received += chunk.length;
        stall.touch();
        options.onProgress?.({ received, total });
        callback(null, chunk);
      },
    });
    // A network error reaches readTar as an error of the metered stream (pipeStreams forwards it).
    const metered = pipeStreams(body, meter, () => {});
    await readTar(metered, cifarEntries(staging)).catch((error: unknown) => {
      if (error instanceof DataError) throw error;
      throw downloadFailed(url, `transfer cut after ${received} bytes (${describeFetchError(error, stall)})`, error);
    });
    await verifyExtracted(staging, url);
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    return target;
  } finally {
    stall.clear();
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Unpacks a CIFAR-10 .tar.gz stream into `folder` (flat): only the known batch and meta files are
 * written, by base name, so nothing in an archive can write outside the folder.
 */
export async function extractCifar10Archive(archive: Readable, folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await readTar(archive, cifarEntries(folder));
  await verifyExtracted(folder, 'archive');
}

const WANTED = new Set<string>(CIFAR10_FILES);

function cifarEntries(folder: string): ReadTarOptions {
  return {
    want: (header) => header.type === 'file' && WANTED.has(path.posix.basename(header.name)),
    onEntry: (header, body) => pipeline(body, createWriteStream(path.join(folder, path.posix.basename(header.name)))),
  };
}

/** Every expected file is there and each split reads cleanly. */
async function verifyExtracted(folder: string, origin: string): Promise<void> {
  try {
    // Each split's loader checks every batch file of that split (present, whole records) and the meta file.
    await loadCifar10(folder, 'test', 1);
    await loadCifar10(folder, 'train', 1);
  } catch (error) {
    const detail = error instanceof DataError ? error.message : String(error);
    throw new DataError('ARCHIVE_INVALID', `${origin} does not hold a complete CIFAR-10 binary set: ${detail}`, { cause: error });
  }
}

/** Aborts the fetch when no byte has arrived for `timeoutMs`. */
class StallWatch {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  stalled = false;

  constructor(readonly timeoutMs: number) {
    this.#timer = setTimeout(() => {
      this.stalled = true;
      this.#controller.abort();
    }, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    this.#timer.refresh();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

function describeFetchError(error: unknown, stall: StallWatch): string {
  if (stall.stalled) return `no data for ${stall.timeoutMs / 1000} s`;
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
}

function downloadFailed(url: string, why: string, cause?: unknown): DataError {
  return new DataError('DOWNLOAD_FAILED', `could not download ${url}: ${why}.\n${CIFAR10_HOWTO}`, { cause });
}
