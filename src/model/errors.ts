/**
 * The model layer's error catalogue. Every error carries a stable `code`: callers and tests match
 * on the code, never on the message text (which names the file and the problem for people).
 */

export type BundleErrorCode =
  | 'BUNDLE_MANIFEST_INVALID'
  | 'BUNDLE_FILE_MISSING'
  | 'BUNDLE_ONNX_INVALID'
  | 'BUNDLE_IO_MISMATCH'
  | 'BUNDLE_SHAPE_MISMATCH'
  | 'BUNDLE_EDITOR_UNKNOWN';

export type ProviderErrorCode = 'PROVIDER_UNAVAILABLE';

export type EngineErrorCode =
  | 'ENGINE_OPTIONS_INVALID'
  | 'ENGINE_FRAME_INVALID'
  | 'ENGINE_INFERENCE_FAILED'
  | 'ENGINE_WORKER_CRASHED'
  | 'ENGINE_CLOSED';

export type ModelErrorCode = BundleErrorCode | ProviderErrorCode | EngineErrorCode;

export class ModelError extends Error {
  readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'ModelError';
  }
}

/** A bundle folder that cannot be used: bad manifest, missing or unreadable file, wrong tensor I/O. */
export class BundleError extends ModelError {
  /** The bundle file at fault (absolute path), when there is one. */
  readonly file: string | undefined;

  constructor(code: BundleErrorCode, file: string | undefined, message: string, options?: { cause?: unknown }) {
    super(code, file ? `${file}: ${message}` : message, options);
    this.name = 'BundleError';
    this.file = file;
  }
}

/** None of the configured execution providers could run a model. */
export class ProviderError extends ModelError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PROVIDER_UNAVAILABLE', message, options);
    this.name = 'ProviderError';
  }
}

/** Misuse of the engine, a failed batch, or a dead inference worker. */
export class EngineError extends ModelError {
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'EngineError';
  }
}

/** Plain-data form of an error, for crossing the worker boundary (structured clone drops `code`). */
export interface SerializedError {
  name: string;
  code: string | undefined;
  message: string;
  file?: string;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      name: error.name,
      code: (error as { code?: unknown }).code as string | undefined,
      message: error.message,
      file: error instanceof BundleError ? error.file : undefined,
      stack: error.stack,
    };
  }
  return { name: 'Error', code: undefined, message: String(error) };
}

/** Rebuilds a model error on this side of the worker boundary, keeping its class and code. */
export function deserializeError(data: SerializedError): Error {
  let error: Error;
  const code = data.code as ModelErrorCode | undefined;
  if (data.name === 'BundleError' && code) {
    // The message already names the file: rebuild without the prefix, then restore `file`.
    error = Object.assign(new BundleError(code as BundleErrorCode, undefined, data.message), { file: data.file });
  } else if (data.name === 'ProviderError') {
    error = new ProviderError(data.message);
  } else if (data.name === 'EngineError' && code) {
    error = new EngineError(code as EngineErrorCode, data.message);
  } else if (code) {
    error = new ModelError(code, data.message);
  } else {
    error = new Error(data.message);
    error.name = data.name;
  }
  if (data.stack) error.stack = data.stack;
  return error;
}
