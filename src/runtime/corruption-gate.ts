/** The per-stream corruption gate a role runs with; undefined without a gate model in the bundle. */
import type { Config } from '../config/index.js';
import type { StreamGateOptions } from '../flow/gating/index.js';
import type { EngineInfo } from '../model/index.js';

export function corruptionGateFor(config: Pick<Config, 'gateSmoothing'>, engine: Pick<EngineInfo, 'gate'>): StreamGateOptions | undefined {
  if (engine.gate === null) return undefined;
  const { halfLifeMs, hysteresis, offDelayMs, scoreEveryMs } = config.gateSmoothing;
  // Gate off: the editor runs on every frame, and the stream is still scored for its level (the
  // dashboard, the learned ensemble), but like a decided stream, once every scoreEveryMs: with a
  // threshold of 0 every level keeps the editor on and none falls in the hysteresis band.
  if (engine.gate.mode === 'off') return { threshold: 0, hysteresis: 0, halfLifeMs, scoreEveryMs };
  return { threshold: engine.gate.threshold, hysteresis, offDelayMs, halfLifeMs, scoreEveryMs };
}
