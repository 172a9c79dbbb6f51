/** What every output of the frame flow implements. */
import type { FrameInference, StageTimings } from '../model/index.js';
import type { StreamStateEvent } from '../server/stream-state.js';
import type { Frame } from '../stream/index.js';

/**
 * One output of the frame flow: the dashboard server, a JSONL file, a progress bar, and later
 * MQTT, webhooks, recordings or the broker. The flow calls every method synchronously and never
 * waits for a sink: one that does slow I/O queues (bounded) and returns at once. A sink that throws
 * is logged and the others still get the frame (see fanOut).
 */
export interface FrameSink {
  /** For logs and metrics: 'dashboard', 'jsonl', 'mqtt'... */
  readonly name: string;
  /** A processed frame, in processing order (per stream: in capture order). */
  frame?(frame: Frame, inference: FrameInference): void;
  /** One inference batch finished: its size and the first frame's stage timings. */
  batch?(size: number, timings: StageTimings): void;
  /** A live stream dropped `count` stale frames before any was processed. */
  dropped?(streamId: string, count: number): void;
  /** A stream changed state (running, reconnecting, ended, error), or failed to open. */
  state?(event: StreamStateEvent): void;
  /**
   * For a sink that must lose no frame of a replay and can fall behind (a video encoder):
   * undefined while it can take more, else a promise that resolves once it can. The replay role
   * holds the source back meanwhile (src/flow/release-gate.ts); live roles never wait on it.
   */
  backpressure?(): Promise<void> | undefined;
  /** Flushes and releases what the sink holds; called once, after the flow has stopped. */
  close?(): Promise<void>;
}
