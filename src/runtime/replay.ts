/**
 * The replay role (`decorruptor run`): every frame of the one configured source, none dropped, in
 * order, through the editor and classifier, out to the configured sinks (`sinks.jsonl` for `run`).
 *
 *   const replaying = await startReplay(config, { log });
 *   const { summary } = await replaying.done;
 */
import type { Config, SourceConfig } from '../config/index.js';
import { ConfiguredStream } from '../flow/configured-stream.js';
import { FrameFlow } from '../flow/frame-flow.js';
import { gateReleases, sinksBusy } from '../flow/release-gate.js';
import type { Logger } from '../log/logger.js';
import type { EngineInfo, InferenceEngine } from '../model/index.js';
import { annotatedDecodeSize, closeSinks, RunSummarySink, type FrameSink } from '../sinks/index.js';
import { openEngine } from './engine.js';
import { logFfmpeg } from './ffmpeg-log.js';
import { once, type ReplayOutcome, type RoleHandle } from './role.js';
import { configuredSinks } from './sinks.js';
import { corruptionGateFor } from './corruption-gate.js';
import { motionGateFor } from './motion-gate.js';

/** The rate an annotated video is written at when the source does not say its own. */
const REPLAY_FALLBACK_FPS = 25;

export interface ReplayOptions {
  log: Logger;
  /** Sinks beyond the configured ones (a progress bar...). */
  extraSinks?: readonly FrameSink[];
  /**
   * Decode size; a side left out is the model's input size (the source's configured size is not
   * used). Neither given and an annotated video configured: the source's own size, capped.
   */
  decodeSize?: { width?: number; height?: number };
  /** Called once the source is open, with its frame count when ffprobe knows it (for a progress bar). */
  onOpen?: (info: { frameCount?: number; engine: EngineInfo }) => void;
}

export interface ReplayResult extends ReplayOutcome {
  engine: EngineInfo;
}

/**
 * Opens the engine, the sinks and the source, and starts replaying.
 * `done` resolves once every frame was processed and every sink flushed, also when the source gave
 * up part-way (`sourceError`); it rejects when a sink fails to flush or the worker dies.
 * @throws a bad bundle, an unreadable file or a sink that cannot be opened, having closed what it opened.
 */
export async function startReplay(config: Config, options: ReplayOptions): Promise<RoleHandle<ReplayResult>> {
  const { log } = options;
  logFfmpeg(log);
  const [sourceConfig] = config.sources;
  if (config.sources.length !== 1) throw new Error(`replay runs exactly one source, got ${config.sources.length}`);

  // Sinks first: a bad output path is reported before the model takes seconds to load. They ask
  // for the stream's frame rate only once frames come, by when the source is open.
  let opened: ConfiguredStream | undefined;
  const timings = () => ({ fps: opened?.source.fps ?? REPLAY_FALLBACK_FPS });
  const sinks = await configuredSinks(config, { log, timings });
  const { engine, stream } = await openEngineAndSource(sourceConfig, config, options).catch(async (error: unknown) => {
    await closeSinks(sinks).catch(() => {});
    throw error;
  });
  opened = stream;
  options.onOpen?.({ frameCount: stream.source.probed?.frameCount, engine: engine.info });

  const summary = new RunSummarySink();
  const allSinks = [summary, ...sinks, ...(options.extraSinks ?? [])];
  const flow = FrameFlow.start({
    // An annotated video is written frame by frame: while its encoder is behind, the source waits.
    streams: [{ source: gateReleases(stream.source, () => sinksBusy(allSinks)), transform: stream.transform }],
    engine,
    maxBatch: config.batching.maxBatch,
    // Replay has no deadline: full batches are cheaper per frame than prompt ones.
    maxWaitMs: config.batching.replayMaxWaitMs,
    fillBatches: true,
    smoothing: config.smoothing,
    motionGate: motionGateFor(config, false),
    gate: corruptionGateFor(config, engine.info),
    log,
    sinks: allSinks,
  });

  let interrupted = false;
  const shutdown = once(async () => {
    await flow.stop();
    try {
      await closeSinks(allSinks);
    } finally {
      await engine.close();
    }
  });
  const done = (async (): Promise<ReplayResult> => {
    try {
      await flow.done;
    } finally {
      await shutdown();
    }
    return { summary: summary.summary(), engine: engine.info, interrupted, sourceError: flow.sourceErrors[0] };
  })();
  return {
    done,
    stop: async () => {
      interrupted = true;
      await shutdown();
      await done.catch(() => {});
    },
  };
}

/**
 * The decode size: as asked; else, for an annotated video, the source's own (capped: the model
 * resizes for itself, and a 32x32 video shows nothing); else the model's input size.
 */
async function decodeSize(source: SourceConfig, config: Config, asked: ReplayOptions['decodeSize'] = {}, modelSize: { width: number; height: number }): Promise<{ width: number; height: number }> {
  const { annotatedVideo } = config.sinks;
  if (annotatedVideo && asked.width === undefined && asked.height === undefined) return annotatedDecodeSize(source.url, annotatedVideo.layout);
  return { width: asked.width ?? modelSize.width, height: asked.height ?? modelSize.height };
}

/** Decoded frames a replay may hold at once: enough for the batches in flight and the next ones. */
const REPLAY_WINDOW_BYTES = 64 * 1024 * 1024;

/**
 * Replay frames decoded ahead: four batches, so ffmpeg keeps decoding while two batches are in the
 * worker, but never more than REPLAY_WINDOW_BYTES of RGB frames (large decode sizes).
 */
export function replayWindow(maxBatch: number, frameBytes: number): number {
  const byMemory = Math.floor(REPLAY_WINDOW_BYTES / Math.max(1, frameBytes));
  return Math.max(maxBatch, Math.min(Math.max(32, 4 * maxBatch), byMemory));
}

async function openEngineAndSource(source: SourceConfig, config: Config, options: ReplayOptions): Promise<{ engine: InferenceEngine; stream: ConfiguredStream }> {
  const engine = await openEngine(config.model, options.log);
  try {
    const size = await decodeSize(source, config, options.decodeSize, engine.info.inputSize);
    const maxInFlight = replayWindow(config.batching.maxBatch, size.width * size.height * 3);
    const stream = await ConfiguredStream.create({ ...source, mode: 'replay', ...size }, { maxInFlight });
    return { engine, stream };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
