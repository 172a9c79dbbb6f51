/**
 * The HTTP and WebSocket face of the product: DashboardServer serves the dashboard (public/), /ws
 * (protocol.ts: hello, binary frame messages, state, stats; client requests validated with zod),
 * /healthz, /readyz and /metrics (ServiceMetrics, Prometheus). It never makes the frame flow wait
 * for a client: per-client bounded queues, newest-only publishing per stream.
 */
export { DashboardServer, sourceDescriptor, type ClientSnapshot, type DashboardServerOptions, type PublishOutcome } from './dashboard-server.js';
export { ServiceMetrics, type SinkOutcome, type SkipReason } from './metrics.js';
export type { NotReady, Readiness } from './http-routes.js';
export {
  PROTOCOL_VERSION,
  decodeFrameMessage,
  encodeFrameMessage,
  parseClientMessage,
  type ClientErrorCode,
  type ClientMessage,
  type FrameHeader,
  type HelloMessage,
  type ServerMessage,
  type StateMessage,
  type StatsMessage,
} from './protocol.js';
export { decodeJpeg, encodeJpeg } from './jpeg.js';
export { editedJpegQuality, type FrameImages } from './frame-message.js';
export { redactUrl } from './redact.js';
export { API_ERROR_STATUS, StreamApiRefusal, type ApiErrorCode, type FieldError } from './stream-api.js';
export {
  STREAM_STATES,
  type ServerHandlers,
  type ServerInfo,
  type StreamDescriptor,
  type StreamState,
  type StreamStateUpdate,
} from './types.js';
export { streamStateUpdate, failedSourceUpdate, failedSourceEvent, type FailedSource, type StreamStateEvent } from './stream-state.js';
