/** The per-stream corruption gate a role runs with: on when the config asks for it and the bundle has a gate. */
import type { Config } from '../config/index.js';
import type { StreamGateOptions } from '../flow/gating/index.js';
import type { EngineInfo } from '../model/index.js';

export function corruptionGateFor(config: Pick<Config, 'model' | 'gateSmoothing'>, engine: Pick<EngineInfo, 'gate'>): StreamGateOptions | undefined {
  if (config.model.gate === 'off' || engine.gate === null) return undefined;
  const { halfLifeMs, hysteresis, scoreEveryMs } = config.gateSmoothing;
  return { threshold: engine.gate.threshold, hysteresis, halfLifeMs, scoreEveryMs };
}
