/** The motion gate a role runs with: the configured one, on or off by the role's default when unset. */
import type { Config } from '../config/index.js';
import type { MotionGateOptions } from '../flow/motion-gate.js';

export function motionGateFor(config: Pick<Config, 'motionGate'>, onByDefault: boolean): MotionGateOptions | undefined {
  const { enabled, threshold, maxAgeMs } = config.motionGate;
  return (enabled ?? onByDefault) ? { threshold, maxAgeMs } : undefined;
}
