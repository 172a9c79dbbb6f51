/** Video sources and the operators that carry their frames to the inference worker. */
export type { Frame, FrameMeta } from './frame.js';
export {
  FrameSource,
  type FrameSourceOptions,
  type SourceMode,
  type SourceState,
  type SourceStateEvent,
  type SourceStats,
} from './source.js';
export { parseSourceUrl, defaultModeFor, parseFrameRate, type SourceInput, type InputKind } from './source-url.js';
export { FrameReader, type FrameReaderOptions } from './frame-reader.js';
export { DEFAULT_RESTART_POLICY, restartDelayMs, type RestartPolicy } from './backoff.js';
export {
  DecodeProcess,
  decodePlan,
  decodeArgv,
  videoFilter,
  probe,
  STDERR_TAIL_LINES,
  type DecodeExit,
  type DecodeOutput,
  type DecodePlan,
  type Fit,
  type ProbeResult,
} from './ffmpeg.js';
export {
  ffmpegBinaries,
  resolveFfmpegBinaries,
  FFMPEG_CHOICES,
  type FfmpegBinaries,
  type FfmpegChoice,
  type FfmpegOrigin,
  type ResolveFfmpegOptions,
} from './ffmpeg-binaries.js';
export {
  SourceError,
  InvalidSourceError,
  SourceUnreadableError,
  SourceFailedError,
  FfmpegUnavailableError,
  type SourceErrorCode,
  type SourceErrorContext,
} from './errors.js';
export { latestFrame } from './operators/latest-frame.js';
export { batchFrames, type BatchFramesOptions } from './operators/batch-frames.js';
export { fairMerge, fairMergeAll, type FairMergeOptions } from './operators/fair-merge.js';
