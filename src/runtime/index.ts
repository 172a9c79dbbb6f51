/**
 * The product's roles, each one composition of the parts in src/flow, src/model, src/server and
 * src/sinks, started from a validated Config and stopped through its handle:
 *   startServe   all-in-one: sources -> engine -> dashboard server + configured sinks
 *   startReplay  one file, lossless, in order -> configured sinks (`run`)
 * The CLI turns arguments into a Config and calls one of these; tests start them in-process.
 */
export { startServe, type ServeHandle, type ServeOptions } from './serve.js';
export { startReplay, type ReplayOptions, type ReplayResult } from './replay.js';
export { openEngine, type EngineConfig } from './engine.js';
export { untilDoneOrSignal } from './shutdown.js';
export type { RoleHandle } from './role.js';
export { version } from './version.js';
