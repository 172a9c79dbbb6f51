/**
 * What the MQTT, webhook and recording sinks count: ServiceMetrics (src/server/metrics.ts) is the
 * one implementation in `serve` and the gateway, so the counts land on its /metrics; a role
 * without a server (`run`) passes NO_SINK_METRICS.
 */
import type { ServiceMetrics } from '../server/index.js';

export type SinkMetrics = Pick<ServiceMetrics, 'sinkMessages' | 'sinkRetry' | 'sinkConnected' | 'sinkQueue' | 'recordingDropped' | 'recordingFailed'>;

export const NO_SINK_METRICS: SinkMetrics = {
  sinkMessages: () => {},
  sinkRetry: () => {},
  sinkConnected: () => {},
  sinkQueue: () => {},
  recordingDropped: () => {},
  recordingFailed: () => {},
};
