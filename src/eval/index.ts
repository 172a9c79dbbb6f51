/** The CIFAR-10-C-style benchmark: evaluate() / evaluateImages() run it through the InferenceEngine; report.ts shows it. */
export { evaluate, evaluateImages, type EvaluateImagesOptions, type EvaluateOptions } from './evaluate.js';
export { imageSeed, type EvalCondition } from './conditions.js';
export { loadImageFolder, type ImageFolder } from './image-folder.js';
export { formatReportTable, renderReportSvg, type TableOptions } from './report.js';
export { parseCorruptionList } from './corruption-list.js';
export { EvalError, type EvalErrorCode } from './errors.js';
export type { Accuracy, ConditionResult, EvalReport, PixelMse } from './types.js';
