export { DashboardServer, sourceDescriptor, type ClientSnapshot, type DashboardServerOptions, type PublishOutcome } from './dashboard-server.js';
export { ServiceMetrics, type SkipReason } from './metrics.js';
export type { Readiness } from './http-routes.js';
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
export { encodeJpeg } from './jpeg.js';
export { redactUrl } from './redact.js';
export {
  STREAM_STATES,
  type ServerHandlers,
  type ServerInfo,
  type StreamDescriptor,
  type StreamState,
  type StreamStateUpdate,
} from './types.js';
export { streamStateUpdate, failedSourceUpdate, type FailedSource } from './stream-state.js';
