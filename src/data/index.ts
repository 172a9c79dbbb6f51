/** Data sets on disk: CIFAR-10 (official binary format), its download, and the tar reading it needs (node-tar). */
export {
  CIFAR10_DIR_ENV,
  CIFAR10_FILES,
  CIFAR10_META_FILE,
  CIFAR10_RECORD_BYTES,
  CIFAR10_SIZE,
  cifar10SearchPaths,
  findCifar10Dir,
  interleavedToPlanes,
  loadCifar10,
  loadCifar10File,
  planesToInterleaved,
  readCifar10Labels,
  requireCifar10Dir,
  type Cifar10Set,
  type Cifar10Split,
} from './cifar10.js';
export { CIFAR10_ARCHIVE_URL, CIFAR10_FOLDER, downloadCifar10, extractCifar10Archive, type DownloadCifar10Options, type DownloadProgress } from './download.js';
export { readTar, type ReadTarOptions, type TarEntryType, type TarHeader } from './tar.js';
export { CIFAR10_HOWTO, DataError, type DataErrorCode } from './errors.js';
