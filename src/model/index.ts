/**
 * The model layer's public surface for the main thread. Nothing exported here loads onnxruntime:
 * that happens only inside the inference worker (bundle.ts, onnx-model.ts, batch-inference.ts).
 */
export { InferenceEngine, type InferenceEngineOptions, type EngineInfo } from './engine.js';
export { readManifest, bundleFiles, MANIFEST_FILE } from './manifest-file.js';
export { manifestSchema, type Manifest, type EditorSpec, type ConsistencyEditorSpec, type DdimEditorSpec, type GateSpec } from './manifest.js';
export { softmax, topK, combine, predictFrame, reportedPrediction } from './ensemble.js';
export { BundleError, EngineError, ModelError, ProviderError, type ModelErrorCode } from './errors.js';
export { EDITOR_NOISE_SOURCES, type EditorNoise, type EditorNoiseSource } from './noise.js';
export { ENSEMBLE_MODES, GATE_MODES, type ClassScore, type EnsembleMode, type FrameInference, type GateMode, type GateResult, type Prediction, type StageTimings } from './types.js';
