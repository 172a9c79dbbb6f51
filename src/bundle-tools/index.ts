/**
 * Bundle tools, what `decorruptor bundle` runs: inspect a bundle's models against its manifest,
 * check that it opens and answers in the runtime, and make a new bundle that pairs another
 * classifier with an existing editor. The runtime itself needs none of this.
 */
export { inspectBundle, type BundleInspection, type ModelFileReport, type RoleCheck, type TensorCheck, type TensorInfo } from './inspect.js';
export { checkBundle, type BundleCheckReport, type CheckOptions, type EditorCheck } from './check.js';
export { BundleToolError, newBundle, readLabelsFile, type NewBundleOptions, type NewBundleResult } from './new-bundle.js';
export { formatBytes, formatCheck, formatInspection } from './report.js';
export { calibrateBundle, type CalibrateOptions, type CalibrationResult, type TensorRanges } from './calibrate.js';
