/** Opens the inference engine that the configuration's `model` section describes: the one place that maps it. */
import type { ModelConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { InferenceEngine } from '../model/index.js';

/** `steps` unset in the `model` section: the editor's own count from the bundle. */
export function openEngine(model: ModelConfig, log: Logger): Promise<InferenceEngine> {
  return InferenceEngine.create({
    bundleDir: model.bundle,
    editor: model.editor,
    steps: model.steps,
    providers: model.providers,
    ensemble: model.ensemble,
    topK: model.topK,
    editorNoise: model.editorNoise,
    intraOpThreads: model.intraOpThreads,
    oneThreadMaxBatch: model.oneThreadMaxBatch,
    precision: model.precision,
    gate: model.gate,
    gateThreshold: model.gateThreshold,
    log: (message) => log.info(message),
  });
}
