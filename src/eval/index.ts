/** The CIFAR-10-C-style benchmark: evaluate() runs it through the InferenceEngine; report.ts shows it. */
export { evaluate, imageSeed, type EvaluateOptions } from './evaluate.js';
export { formatReportTable, renderReportSvg, type TableOptions } from './report.js';
export { parseCorruptionList } from './corruption-list.js';
export { EvalError, type EvalErrorCode } from './errors.js';
export type { Accuracy, ConditionResult, EvalReport, PixelMse } from './types.js';
