/** Opens the inference engine that the configuration's `model` section describes. */
import type { ModelConfig } from '../config/index.js';
import { InferenceEngine } from '../model/index.js';
import type { Logger } from './logger.js';

export function openEngine(model: ModelConfig, log: Logger): Promise<InferenceEngine> {
  return InferenceEngine.create({
    bundleDir: model.bundle,
    editor: model.editor,
    steps: model.steps,
    providers: model.providers,
    ensemble: model.ensemble,
    topK: model.topK,
    log: (message) => log.info(message),
  });
}
