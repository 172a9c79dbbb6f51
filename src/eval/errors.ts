/** The evaluation's errors; `code` is stable, the message is for people. */

export type EvalErrorCode =
  /** Options that cannot be evaluated (no images, no corruption, bad batch size...). */
  | 'EVAL_INVALID'
  /** The data set's class names are not all among the model's labels. */
  | 'EVAL_LABELS_MISMATCH'
  /** An --images folder or one of its files is missing or malformed (the message names the file). */
  | 'EVAL_IMAGES_INVALID';

export class EvalError extends Error {
  readonly code: EvalErrorCode;

  constructor(code: EvalErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'EvalError';
    this.code = code;
  }
}
