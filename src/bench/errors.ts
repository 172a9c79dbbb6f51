/** The benchmark's errors; each carries a stable `code` (match on it, not on the message). */

export type BenchErrorCode =
  /** The model bundle folder has no manifest (the real bundle has not landed yet?). */
  | 'BENCH_BUNDLE_MISSING'
  /** The bundle has no editor of a kind a scenario needs. */
  | 'BENCH_EDITOR_MISSING'
  /** A spawned `decorruptor run` / `serve` failed, or did not get ready in time. */
  | 'BENCH_CHILD_FAILED'
  /** ffmpeg could not make the test video. */
  | 'BENCH_VIDEO_FAILED'
  /** The limit scenario's onnxruntime probe (multiply-add count, peak) failed. */
  | 'BENCH_LIMIT_FAILED';

export class BenchError extends Error {
  readonly code: BenchErrorCode;

  constructor(code: BenchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'BenchError';
  }
}
