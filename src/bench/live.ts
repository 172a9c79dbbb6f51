/**
 * Scenarios 3 and 4, live and multi-stream: `decorruptor serve` in a child process with N lavfi
 * testsrc2 sources paced in real time (ffmpeg -re, 30 fps each) and one connected ws client.
 * After the sources run and a warm-up, one measurement window:
 * - latency: capture -> client receive, per frame, from the ws client (see live-client.ts);
 *   serve's own capture -> send (header.latencyMs) is reported next to it;
 * - processed fps, drops/s and slow-client skips/s: deltas of serve's /metrics counters
 *   (decorruptor_frames_processed_total, decorruptor_frames_dropped_total,
 *   decorruptor_ws_frames_skipped_total) over the window;
 * - stage means per batch: deltas of the decorruptor_inference_stage_ms histogram.
 */
import { CliChild, delay } from './cli-process.js';
import { FrameCollector, type ReceivedFrame } from './live-client.js';
import { counterDelta, histogramMeanDelta, MetricsSnapshot } from './prometheus.js';
import { STAGE_NAMES } from './stages.js';
import { finiteOrNull, median, percentile, ratio, round, summarizeLatency, type LatencySummary } from './stats.js';

export interface LiveOptions {
  streams: number;
  fps: number;
  size: { width: number; height: number };
  /** The lavfi graph every source plays; default testsrc2 at `size` and `fps` (moving: every frame is inferred). */
  graph?: string;
  /** Motion gating on (still frames reuse the last result); default off, so that every frame is inferred. */
  motionGate?: boolean;
  /** The corruption gate (model.gate); default off, so that the editor runs on every frame. */
  gate?: 'auto' | 'off';
  /** A corruption applied to every source's frames (serve's --corrupt), e.g. 'fog:5'. */
  corrupt?: string;
  bundleDir: string;
  editor: string;
  configFile?: string;
  /** Seconds after every stream's first frame reached the client before the window opens. */
  warmupSeconds: number;
  /** Length of the measurement window. */
  seconds: number;
  /** Start-up allowance: models loaded, sources running, first frames in. */
  readyTimeoutMs: number;
}

export interface LiveResult {
  streams: number;
  source: string;
  seconds: number;
  /** Frames processed per second, all streams together (serve's counter): inferred + reused. */
  fps: number;
  /** Of those, frames that went through the engine, and frames that carried an earlier result (motion gating). */
  inferred_per_s: number;
  reused_per_s: number;
  /** Of the inferred frames, the share the editor ran on (the rest the corruption gate kept from it). */
  edited_share: number | null;
  /** The inference worker's own time per inferred frame (its batches' time less their wait in its queue), ms. */
  worker_ms_per_frame: number | null;
  /** Frames the client received per second. */
  client_fps: number;
  /** Capture -> client receive. */
  latency: LatencySummary;
  /** Capture -> send, as serve stamps it in each frame message (header.latencyMs). */
  send_latency: LatencySummary;
  drops_per_s: number;
  skipped_per_s: number;
  /**
   * p95 latency over the window's second half divided by the first half's: about 1 when latency
   * holds steady, clearly above 1 when it keeps growing (the overload check).
   */
  p95_trend: number | null;
  /** Medians per frame, ms: where a frame's latency goes. */
  breakdown_ms: {
    /** Waiting in the inference worker's queue behind another batch. */
    inference_queue: number | null;
    /** The worker running the batch. */
    inference: number | null;
    /** Capture -> send minus the worker's time: batching wait, worker hand-over, JPEG encoding, publishing. */
    batching_jpeg_publish: number | null;
    /** Send -> client receive (socket, client event loop). */
    network: number | null;
  };
  /** Means per batch over the window, from serve's /metrics (ms); batch_size is frames per batch. */
  stages_ms_per_batch: Record<string, number | null>;
  /** Event-loop lag p99 of serve's main thread over the window (ms; prom-client resets it at every scrape). */
  event_loop_lag_p99_ms: number | null;
  peak_rss_mb: number | null;
}

function sourceUrl(options: LiveOptions): string {
  return `lavfi:${options.graph ?? `testsrc2=size=${options.size.width}x${options.size.height}:rate=${options.fps}`}`;
}

async function waitUntilReady(base: string, streams: number, child: CliChild, deadline: number): Promise<void> {
  for (;;) {
    const body = await fetch(`${base}/readyz`)
      .then((r) => r.json() as Promise<{ ready: boolean; runningStreams?: number; reason?: string }>)
      .catch(() => null);
    if (body?.ready && (body.runningStreams ?? 0) >= streams) return;
    if (child.hasExited) throw child.failure('exited before it was ready');
    if (performance.now() > deadline) throw child.failure(`was not ready with ${streams} running stream(s) in time (last /readyz: ${JSON.stringify(body)})`);
    await delay(100);
  }
}

async function waitForFrames(client: FrameCollector, streamIds: string[], child: CliChild, deadline: number): Promise<void> {
  while (!streamIds.every((id) => client.frames.some((f) => f.streamId === id))) {
    if (child.hasExited) throw child.failure('exited before every stream delivered a frame');
    if (performance.now() > deadline) throw child.failure('did not deliver a frame of every stream in time');
    await delay(50);
  }
}

function p95Trend(frames: readonly ReceivedFrame[], from: number, to: number): number | null {
  const middle = (from + to) / 2;
  const first = frames.filter((f) => f.receivedAt < middle).map((f) => f.captureToReceiveMs);
  const second = frames.filter((f) => f.receivedAt >= middle).map((f) => f.captureToReceiveMs);
  return finiteOrNull(ratio(percentile(second, 95), percentile(first, 95)), 2);
}

function medianOf(frames: readonly ReceivedFrame[], pick: (f: ReceivedFrame) => number): number | null {
  return finiteOrNull(median(frames.map(pick)), 2);
}

export async function measureLive(options: LiveOptions): Promise<LiveResult> {
  const streamIds = Array.from({ length: options.streams }, (_, i) => `s${i + 1}`);
  const url = sourceUrl(options);
  const child = CliChild.start([
    'serve', '--host', '127.0.0.1', '--port', '0', '--bundle', options.bundleDir, '--editor', options.editor, '--log-level', 'info',
    '--motion-gate', options.motionGate ? 'on' : 'off', '--gate', options.gate ?? 'off',
    ...(options.corrupt ? ['--corrupt', options.corrupt] : []),
    ...streamIds.flatMap((id) => ['--source', `${id}=${url}`]),
    ...(options.configFile ? ['--config', options.configFile] : []),
  ]);
  child.process.stdout.resume();
  let client: FrameCollector | undefined;
  try {
    const deadline = performance.now() + options.readyTimeoutMs;
    const [, base] = await child.waitForStderr(/dashboard on (http:\/\/[^\s/]+)\//, options.readyTimeoutMs, 'its address');
    await waitUntilReady(base, options.streams, child, deadline);
    client = await FrameCollector.connect(`${base.replace(/^http/, 'ws')}/ws`);
    await waitForFrames(client, streamIds, child, deadline);
    await delay(options.warmupSeconds * 1000);

    const before = await MetricsSnapshot.fetch(base);
    const windowStart = performance.now();
    await delay(options.seconds * 1000);
    const after = await MetricsSnapshot.fetch(base);
    const windowEnd = performance.now();
    if (child.hasExited) throw child.failure('exited during the measurement');

    const seconds = (after.at - before.at) / 1000;
    const frames = client.between(windowStart, windowEnd);
    const perSecond = (name: string) => round(counterDelta(before, after, name) / seconds, 2);
    const inferred = counterDelta(before, after, 'decorruptor_frames_processed_total') - counterDelta(before, after, 'decorruptor_frames_reused_total');
    const stageSum = (stage: string) => counterDelta(before, after, 'decorruptor_inference_stage_ms_sum', { stage });
    const stages: Record<string, number | null> = {};
    for (const stage of [...STAGE_NAMES, 'gate', 'queue', 'total']) {
      stages[stage] = finiteOrNull(histogramMeanDelta(before, after, 'decorruptor_inference_stage_ms', { stage }), 3);
    }
    stages.batch_size = finiteOrNull(histogramMeanDelta(before, after, 'decorruptor_batch_size'), 2);
    const lagSeconds = after.sum('decorruptor_nodejs_eventloop_lag_p99_seconds');

    return {
      streams: options.streams,
      source: url,
      seconds: round(seconds, 2),
      fps: perSecond('decorruptor_frames_processed_total'),
      inferred_per_s: round(perSecond('decorruptor_frames_processed_total') - perSecond('decorruptor_frames_reused_total'), 2),
      reused_per_s: perSecond('decorruptor_frames_reused_total'),
      edited_share: finiteOrNull(ratio(counterDelta(before, after, 'decorruptor_frames_edited_total'), inferred), 3),
      worker_ms_per_frame: finiteOrNull(ratio(stageSum('total') - stageSum('queue'), inferred), 3),
      client_fps: round(frames.length / seconds, 2),
      latency: summarizeLatency(frames.map((f) => f.captureToReceiveMs)),
      send_latency: summarizeLatency(frames.map((f) => f.captureToSendMs)),
      drops_per_s: perSecond('decorruptor_frames_dropped_total'),
      skipped_per_s: perSecond('decorruptor_ws_frames_skipped_total'),
      p95_trend: p95Trend(frames, windowStart, windowEnd),
      breakdown_ms: {
        inference_queue: medianOf(frames, (f) => f.inferenceQueueMs),
        inference: medianOf(frames, (f) => f.inferenceTotalMs - f.inferenceQueueMs),
        batching_jpeg_publish: medianOf(frames, (f) => f.captureToSendMs - f.inferenceTotalMs),
        network: medianOf(frames, (f) => f.captureToReceiveMs - f.captureToSendMs),
      },
      stages_ms_per_batch: stages,
      event_loop_lag_p99_ms: after.samples.some((s) => s.name === 'decorruptor_nodejs_eventloop_lag_p99_seconds') ? round(lagSeconds * 1000, 2) : null,
      peak_rss_mb: child.peakRssMb,
    };
  } finally {
    client?.close();
    const exit = await child.stop();
    if (exit.signal === 'SIGKILL') process.stderr.write(`bench: serve did not stop within the grace period and was killed\n`);
  }
}
