/**
 * The stream layer's error catalogue. Every error carries a stable `code`: callers and tests match
 * on the code, never on the message text (which names the source and quotes ffmpeg for people).
 */

export type SourceErrorCode =
  /** The source string or the source options cannot be used (bad URL, bad size...). */
  | 'SOURCE_INVALID'
  /** A file that is missing, unreadable, has no video stream or cannot be decoded. */
  | 'SOURCE_UNREADABLE'
  /** A source that failed while running: live restarts exhausted, or a replay cut short. */
  | 'SOURCE_FAILED'
  /** ffmpeg or ffprobe cannot be found or started on this machine. */
  | 'FFMPEG_UNAVAILABLE';

export interface SourceErrorContext {
  /** Configured id of the source (`sources[].id`), when known. */
  sourceId?: string | undefined;
  /** The source string as configured; '' for an error that concerns no source (no ffmpeg at all). */
  url: string;
  /** Last lines ffmpeg (or ffprobe) wrote to stderr, oldest first. */
  stderrTail?: readonly string[] | undefined;
  cause?: unknown;
}

export class SourceError extends Error {
  readonly code: SourceErrorCode;
  readonly sourceId: string | undefined;
  readonly url: string;
  readonly stderrTail: readonly string[];
  /** The problem alone, without the source name and the stderr quote. */
  readonly detail: string;

  constructor(code: SourceErrorCode, detail: string, context: SourceErrorContext) {
    super(formatMessage(detail, context), { cause: context.cause });
    this.name = 'SourceError';
    this.code = code;
    this.detail = detail;
    this.sourceId = context.sourceId;
    this.url = context.url;
    this.stderrTail = context.stderrTail ?? [];
  }
}

/** The source string or options are not usable; raised before any process is started. */
export class InvalidSourceError extends SourceError {
  constructor(detail: string, context: SourceErrorContext) {
    super('SOURCE_INVALID', detail, context);
    this.name = 'InvalidSourceError';
  }
}

/** Missing or unreadable file, no video stream, unsupported codec: retrying cannot help. */
export class SourceUnreadableError extends SourceError {
  constructor(detail: string, context: SourceErrorContext) {
    super('SOURCE_UNREADABLE', detail, context);
    this.name = 'SourceUnreadableError';
  }
}

/** A running source gave up: live restarts exhausted, or a replay's ffmpeg died mid-file. */
export class SourceFailedError extends SourceError {
  constructor(detail: string, context: SourceErrorContext) {
    super('SOURCE_FAILED', detail, context);
    this.name = 'SourceFailedError';
  }
}

/** The ffmpeg or ffprobe binary is missing: a deployment problem, not a source problem. */
export class FfmpegUnavailableError extends SourceError {
  constructor(detail: string, context: SourceErrorContext) {
    super('FFMPEG_UNAVAILABLE', detail, context);
    this.name = 'FfmpegUnavailableError';
  }
}

function formatMessage(detail: string, { sourceId, url, stderrTail }: SourceErrorContext): string {
  const tail = stderrTail?.length
    ? `\nffmpeg stderr (last ${stderrTail.length} lines):\n${stderrTail.map((line) => `  ${line}`).join('\n')}`
    : '';
  // No source at all (url ''): a problem of the machine, e.g. no ffmpeg (ffmpeg-binaries.ts).
  if (sourceId === undefined && url === '') return `${detail}${tail}`;
  const name = sourceId === undefined ? `source ${url}` : `source "${sourceId}" (${url})`;
  return `${name}: ${detail}${tail}`;
}
