/**
 * The product's roles, each one composition of the parts in src/flow, src/model, src/server and
 * src/sinks, started from a validated Config and stopped through its handle:
 *   startServe   all-in-one: sources -> engine -> dashboard server + configured sinks
 *   startReplay  one file, lossless, in order -> configured sinks (`run`)
 * and the scale-out roles, which meet on a NATS JetStream broker (src/cluster, docs/distributed.md):
 *   startIngest         sources -> the broker (no engine)
 *   startWorker         the broker -> engine -> the broker (any number of them)
 *   startGateway        the broker -> dashboard server
 *   startClusterReplay  one file through the workers, lossless, in order -> JSONL (`run --nats`)
 * The CLI turns arguments into a Config and calls one of these; tests start them in-process.
 */
export { startServe, type ServeHandle, type ServeOptions } from './serve.js';
export { replayWindow, startReplay, type ReplayOptions, type ReplayResult } from './replay.js';
export { startIngest, type IngestHandle, type IngestOptions } from './ingest.js';
export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.js';
export { startGateway, type GatewayHandle, type GatewayOptions } from './gateway.js';
export { startClusterReplay, type ClusterReplayOptions, type ClusterReplayResult } from './cluster-replay.js';
export { openEngine } from './engine.js';
export { untilDoneOrSignal } from './shutdown.js';
export type { RoleHandle } from './role.js';
export { version } from './version.js';
