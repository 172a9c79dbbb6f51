/** The corruption gate per stream: the smoothed level and hysteresis of one stream, and the flow's stage. */
export { GateLevel, type GateLevelOptions, type GateLevelState, type StreamGateOptions } from './gate-level.js';
export { smoothGate } from './smooth-gate.js';
