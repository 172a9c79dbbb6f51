/**
 * The broker (NATS JetStream) and everything that speaks to it: the connection, the streams and
 * consumers, the wire format, and the parts the scale-out roles compose (src/runtime ingest.ts,
 * worker.ts, gateway.ts, cluster-replay.ts):
 *   ingest:  FramePublisher (a stream's frames -> the broker), StreamStateBoard, corruption requests
 *   worker:  FrameFeed -> BrokerStreams (one FlowSource per stream) -> FrameFlow -> BrokerResultSink
 *   gateway: subscribeResults (ResultOrder: each stream in seq order) -> ResultOutputs (smoothing,
 *            sinks) and DashboardServer; watchStreamStates (-> BoardStates), WorkerRoster, requestCorruption
 *   run:     FramePublisher (replay) + ReplayCollector (results in order, each once) -> ResultOutputs
 * Names of subjects, streams and consumers: subjects.ts (and docs/distributed.md).
 */
export { BrokerConnection, type BrokerConnectionOptions } from './connection.js';
export { brokerSecurity, type BrokerSecurity } from './security.js';
export { ensureTopology, streamConfigs, consumerConfigs, type TopologySettings } from './topology.js';
export { SUBJECTS, STREAMS, CONSUMERS, STREAM_STATES_BUCKET, MAX_DELIVERIES_ADVISORY, uniqueToken } from './subjects.js';
export { encodeFrame, decodeFrame, encodeResult, decodeResult, BrokerMessageError, type DecodedFrame, type DecodedResult, type FrameOrigin } from './codec.js';
export { FramePublisher, type FramePublisherOptions, type PublisherStats } from './frame-publisher.js';
export { FrameFeed, FrameDelivery, type FrameFeedOptions } from './frame-feed.js';
export { BrokerStreamSource, BrokerStreams } from './broker-source.js';
export { BrokerResultSink, type ResultSinkOptions } from './result-sink.js';
export { StreamStateBoard, watchStreamStates, type StreamStateRecord } from './stream-board.js';
export { serveCorruptionRequests, requestCorruption } from './corruption-control.js';
export { startHeartbeat, WorkerRoster, HEARTBEAT_MS } from './worker-heartbeat.js';
export { LiveSequence } from './live-sequence.js';
export { subscribeResults, END_QUIET_MS, type ResultFeed, type ResultFeedHandlers } from './result-feed.js';
export { SettledEnds } from './settled-ends.js';
export { ResultOrder, type ResultOrderOptions } from './result-order.js';
export { ReplayCollector, type CollectorCounts } from './replay-collector.js';
export { ResultOutputs, type PictureNeeds, type ResultOutputsOptions } from './result-outputs.js';
export { BoardStates } from './board-states.js';
