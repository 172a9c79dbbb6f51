/** The dashboard server as a sink: frames to /ws clients, counts to /metrics, source states to everyone. */
import { streamStateUpdate, type DashboardServer } from '../server/index.js';
import type { FrameSink } from './types.js';

export function dashboardSink(server: DashboardServer): FrameSink {
  return {
    name: 'dashboard',
    // publishFrame encodes off the flow's path and never rejects (its outcome says what happened).
    frame: (frame, inference) => void server.publishFrame(frame, inference),
    batch: (size, timings) => server.metrics.batch(size, timings),
    dropped: (streamId, count) => server.metrics.framesDropped(streamId, count),
    state: (event) => server.setStreamState(event.sourceId, streamStateUpdate(event)),
  };
}
