export { PipelineServer, sourceDescriptor, type ClientSnapshot, type PipelineServerOptions, type PublishOutcome } from './server.js';
export { PipelineMetrics, type SkipReason } from './metrics.js';
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
  silentLogger,
  STREAM_STATES,
  type Logger,
  type ServerHandlers,
  type ServerInfo,
  type StreamDescriptor,
  type StreamState,
  type StreamStateUpdate,
} from './types.js';
