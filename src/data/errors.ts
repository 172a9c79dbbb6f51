/**
 * The data layer's error catalogue. Every error carries a stable `code`: callers and tests match on
 * the code, never on the message text (which names the file and says how to fix it).
 */

export type DataErrorCode =
  /** No CIFAR-10 folder was found in any of the places searched. */
  | 'CIFAR10_NOT_FOUND'
  /** A batch file or batches.meta.txt is missing from the folder. */
  | 'CIFAR10_FILE_MISSING'
  /** A batch file's size is not a whole number of records, or a record's label is out of range. */
  | 'CIFAR10_FILE_INVALID'
  /** The archive could not be fetched (no network, HTTP error, connection cut). */
  | 'DOWNLOAD_FAILED'
  /** The archive is not a gzipped tar, is truncated, or lacks the expected files. */
  | 'ARCHIVE_INVALID';

export class DataError extends Error {
  readonly code: DataErrorCode;
  /** The file or folder at fault, when there is one. */
  readonly file: string | undefined;

  constructor(code: DataErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DataError';
    this.code = code;
    this.file = options.file;
  }
}

/** How to get CIFAR-10 onto this machine; appended to every "not found" and "download failed" message. */
export const CIFAR10_HOWTO =
  "Get CIFAR-10 (binary version) with 'decorruptor data cifar10' where there is internet, or download " +
  'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz elsewhere, unpack it, and either put the ' +
  'cifar-10-batches-bin folder under ./data/ or point CIFAR10_DIR (or the data.cifar10Dir setting) at it.';
