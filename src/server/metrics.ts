/**
 * Prometheus metrics (own Registry, so several servers in one process never collide) and the
 * per-stream rolling statistics behind the `stats` message: one call from the pipeline feeds both.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { STAGE_TIMING_FIELDS, type StageTimings } from '../model/types.js';
import type { StreamRegistry } from './stream-registry.js';
import type { StreamState } from './types.js';

const PREFIX = 'decorruptor_';

/** Stages of StageTimings reported as `stage` label values. */
const STAGES = Object.keys(STAGE_TIMING_FIELDS) as Array<keyof typeof STAGE_TIMING_FIELDS>;

/** Why the server did not send a frame to someone. */
export type SkipReason = 'slow_client' | 'superseded';

/** Why frames were dropped before inference. */
const DROP_REASONS = ['stale'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Why a recording did not write frames (see recordingDropped). */
const RECORDING_DROP_REASONS = ['behind', 'failed', 'closed'] as const;
type RecordingDropReason = (typeof RECORDING_DROP_REASONS)[number];

/**
 * What became of a sink's message (MQTT, webhooks): sent (the broker or receiver took it), failed
 * (refused, or every attempt failed), dropped (its bounded queue was full, or it closed with the
 * message unsent), superseded (a newer message for the same retained topic replaced it in the queue).
 */
export type SinkOutcome = 'sent' | 'failed' | 'dropped' | 'superseded';

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #streams: StreamRegistry;

  readonly #processed = new Counter({ name: `${PREFIX}frames_processed_total`, help: 'Frames that came out of inference, per stream.', labelNames: ['stream'], registers: [this.registry] });
  readonly #reused = new Counter({ name: `${PREFIX}frames_reused_total`, help: 'Frames not inferred because they barely differed from the last inferred one (motion gating): they carry its result. Inferred = frames_processed_total - this.', labelNames: ['stream'], registers: [this.registry] });
  readonly #edited = new Counter({ name: `${PREFIX}frames_edited_total`, help: 'Inferred frames the editor ran on, per stream.', labelNames: ['stream'], registers: [this.registry] });
  readonly #gated = new Counter({ name: `${PREFIX}frames_gated_total`, help: 'Inferred frames the corruption gate kept from the editor (they looked clean: the source prediction is the answer), per stream.', labelNames: ['stream'], registers: [this.registry] });
  readonly #labelChanges = new Counter({ name: `${PREFIX}label_changes_total`, help: "Times a stream's reported (smoothed) label changed from one frame to the next.", labelNames: ['stream'], registers: [this.registry] });
  readonly #dropped = new Counter({ name: `${PREFIX}frames_dropped_total`, help: 'Frames dropped before inference (live sources keep only the newest), per stream.', labelNames: ['stream', 'reason'], registers: [this.registry] });
  readonly #latency = new Histogram({
    name: `${PREFIX}capture_to_send_ms`,
    help: 'Milliseconds from reading a frame off the source to handing it to the client sockets.',
    labelNames: ['stream'],
    buckets: [5, 10, 20, 35, 50, 75, 100, 150, 250, 400, 600, 1000, 1500, 2000],
    registers: [this.registry],
  });
  readonly #batchSize = new Histogram({ name: `${PREFIX}batch_size`, help: 'Frames per inference batch.', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [this.registry] });
  readonly #stageMs = new Histogram({
    name: `${PREFIX}inference_stage_ms`,
    help: 'Milliseconds per inference stage, per batch.',
    labelNames: ['stage'],
    buckets: [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [this.registry],
  });
  readonly #clients = new Gauge({ name: `${PREFIX}ws_clients`, help: 'Connected WebSocket clients.', registers: [this.registry] });
  readonly #skipped = new Counter({ name: `${PREFIX}ws_frames_skipped_total`, help: 'Frame sends skipped: slow_client (socket buffer over the limit), superseded (a newer frame of the stream replaced it before encoding).', labelNames: ['reason'], registers: [this.registry] });
  readonly #clientErrors = new Counter({ name: `${PREFIX}ws_client_errors_total`, help: 'Client messages refused, by error code.', labelNames: ['code'], registers: [this.registry] });
  readonly #sourceUp = new Gauge({ name: `${PREFIX}source_up`, help: '1 while a source is running, else 0.', labelNames: ['stream'], registers: [this.registry] });
  readonly #outages = new Counter({ name: `${PREFIX}source_outages_total`, help: 'Times a running source lost its input and went into reconnecting (one per outage, however many attempts).', labelNames: ['stream'], registers: [this.registry] });
  readonly #sinkMessages = new Counter({ name: `${PREFIX}sink_messages_total`, help: 'Messages of the MQTT and webhook sinks by outcome: sent, failed (refused or out of retries), dropped (queue full, or unsent at shutdown), superseded (replaced in the queue by a newer message for the same retained topic).', labelNames: ['sink', 'outcome'], registers: [this.registry] });
  readonly #sinkRetries = new Counter({ name: `${PREFIX}sink_retries_total`, help: 'Further attempts after a failed webhook post (network error, timeout, 408, 429, 5xx).', labelNames: ['sink'], registers: [this.registry] });
  readonly #sinkConnected = new Gauge({ name: `${PREFIX}sink_connected`, help: '1 while a connected sink (MQTT) is connected to its broker, else 0.', labelNames: ['sink'], registers: [this.registry] });
  readonly #recordingDropped = new Counter({ name: `${PREFIX}recording_frames_dropped_total`, help: 'Frames a recording did not write: behind (its encoder was 30 frames behind), failed (its encode had failed: the recording stops until the stream starts again), closed (it was finishing).', labelNames: ['stream', 'reason'], registers: [this.registry] });
  readonly #recordingFailures = new Counter({ name: `${PREFIX}recording_failures_total`, help: "Recordings whose encode failed (ffmpeg died, the disk refused): the stream's current segment ends there.", labelNames: ['stream'], registers: [this.registry] });
  readonly #sinkQueue = new Gauge({ name: `${PREFIX}sink_queue_messages`, help: 'Messages a sink holds, waiting for its broker or receiver.', labelNames: ['sink'], registers: [this.registry] });

  constructor(streams: StreamRegistry, options: { defaultMetrics?: boolean } = {}) {
    this.#streams = streams;
    // collect() runs with `this` bound to the gauge, so the registry is captured here.
    const streamsRef = streams;
    new Gauge({
      name: `${PREFIX}label_changes_per_minute`,
      help: "Times a stream's reported label changed during the last minute.",
      labelNames: ['stream'],
      registers: [this.registry],
      collect() {
        this.reset(); // only the streams there are now
        for (const s of streamsRef.statsSummaries(performance.now())) this.set({ stream: s.id }, s.labelChangesPerMinute);
      },
    });
    new Gauge({
      name: `${PREFIX}stream_fps`,
      help: 'Frames per second published per stream, over the last few seconds.',
      labelNames: ['stream'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const s of streamsRef.statsSummaries(performance.now())) this.set({ stream: s.id }, s.fps);
      },
    });
    // Process metrics, among them event-loop lag (nodejs_eventloop_lag_*): the symptom of
    // anything that blocks the main thread (an onnxruntime call outside the worker, say).
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  // ---- called by the pipeline --------------------------------------------------------------------

  /**
   * A frame came out of the flow: inferred, or `reused` (motion gating); its reported label changed
   * or not; an inferred frame was `edited`, or `gated` (the corruption gate skipped the editor).
   * `DashboardServer.publishFrame` calls this itself.
   */
  frameProcessed(streamId: string, { labelChanged = false, reused = false, edited = false, gated = false }: { labelChanged?: boolean; reused?: boolean; edited?: boolean; gated?: boolean } = {}): void {
    if (this.#streams.wasRemoved(streamId)) return;
    const now = performance.now();
    this.#processed.inc({ stream: streamId });
    if (reused) this.#reused.inc({ stream: streamId });
    else if (edited) this.#edited.inc({ stream: streamId });
    else if (gated) this.#gated.inc({ stream: streamId });
    this.#streams.stats(streamId).recordFrame(now);
    if (labelChanged) {
      this.#labelChanges.inc({ stream: streamId });
      this.#streams.stats(streamId).recordLabelChange(now);
    }
  }

  /** Frames the pipeline dropped (e.g. a live source's stale frames). */
  framesDropped(streamId: string, count: number, reason: DropReason = 'stale'): void {
    if (count <= 0 || this.#streams.wasRemoved(streamId)) return;
    this.#dropped.inc({ stream: streamId, reason }, count);
    this.#streams.stats(streamId).addDropped(count);
  }

  /** One inference batch ran. */
  batch(size: number, timings?: StageTimings): void {
    this.#batchSize.observe(size);
    if (timings === undefined) return;
    for (const stage of STAGES) this.#stageMs.observe({ stage }, timings[STAGE_TIMING_FIELDS[stage]]);
  }

  /** Capture-to-send latency of one frame. `DashboardServer.publishFrame` calls this itself. */
  latency(streamId: string, ms: number): void {
    if (this.#streams.wasRemoved(streamId)) return;
    this.#latency.observe({ stream: streamId }, ms);
    this.#streams.stats(streamId).recordLatency(ms);
  }

  // ---- called by the server ----------------------------------------------------------------------

  framesSkipped(reason: SkipReason, count = 1): void {
    if (count > 0) this.#skipped.inc({ reason }, count);
  }

  clientCount(count: number): void {
    this.#clients.set(count);
  }

  clientError(code: string): void {
    this.#clientErrors.inc({ code });
  }

  sourceState(streamId: string, state: StreamState, previous: StreamState | undefined): void {
    if (this.#streams.wasRemoved(streamId)) return;
    this.#sourceUp.set({ stream: streamId }, state === 'running' ? 1 : 0);
    if (state === 'reconnecting' && previous !== 'reconnecting') this.#outages.inc({ stream: streamId });
  }

  /**
   * A stream (or a region's stream) was removed: its series leave /metrics, and what still comes
   * of it (a late frame, a recording finishing) counts nowhere until it is added again. A removed
   * camera is not a source that is down, and a stream API that churns ids must not grow /metrics
   * forever. StreamRegistry's onForget calls this.
   */
  forgetStream(streamId: string): void {
    const stream = { stream: streamId };
    for (const metric of [this.#processed, this.#reused, this.#edited, this.#gated, this.#labelChanges, this.#outages, this.#recordingFailures]) metric.remove(stream);
    this.#latency.remove(stream);
    this.#sourceUp.remove(stream);
    for (const reason of DROP_REASONS) this.#dropped.remove({ ...stream, reason });
    for (const reason of RECORDING_DROP_REASONS) this.#recordingDropped.remove({ ...stream, reason });
  }

  // ---- called by the sinks (src/sinks/sink-metrics.ts) -------------------------------------------

  sinkMessages(sink: string, outcome: SinkOutcome, count = 1): void {
    if (count > 0) this.#sinkMessages.inc({ sink, outcome }, count);
  }

  sinkRetry(sink: string): void {
    this.#sinkRetries.inc({ sink });
  }

  sinkConnected(sink: string, connected: boolean): void {
    this.#sinkConnected.set({ sink }, connected ? 1 : 0);
  }

  sinkQueue(sink: string, depth: number): void {
    this.#sinkQueue.set({ sink }, depth);
  }

  recordingDropped(streamId: string, count: number, reason: RecordingDropReason): void {
    if (count > 0 && !this.#streams.wasRemoved(streamId)) this.#recordingDropped.inc({ stream: streamId, reason }, count);
  }

  recordingFailed(streamId: string): void {
    if (this.#streams.wasRemoved(streamId)) return;
    this.#recordingFailures.inc({ stream: streamId });
  }

  /** Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
