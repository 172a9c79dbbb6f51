/**
 * Outputs of the frame flow. Every output is a FrameSink; a role builds its list from the
 * configuration and the flow calls them through fanOut, so that a slow or failing sink never stalls
 * the flow or the others. The MQTT and webhook sinks queue (bounded) and do their I/O elsewhere.
 */
export type { FrameSink } from './types.js';
export { closeSinks, fanOut, type FannedOutSink } from './fan-out.js';
export { JsonlSink, frameRecord } from './jsonl-sink.js';
export { RunSummarySink, type RunSummary } from './run-summary.js';
export { dashboardSink } from './dashboard-sink.js';
export { MqttSink } from './mqtt-sink.js';
export { WebhookSink } from './webhook-sink.js';
export { NO_SINK_METRICS, type SinkMetrics } from './sink-metrics.js';
export { encodeRawVideo, pickEncoder, EncodeError, type RawVideoSink } from './video-encoder.js';
export { AnnotatedVideoSink, annotatedDecodeSize } from './annotated-video-sink.js';
export { RecordingSink } from './recording-sink.js';
export { ANNOTATE_LAYOUTS, type AnnotateLayout } from './annotate-frame.js';
export type { StreamTiming, StreamTimings } from './annotated-encode.js';
