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
import type { Logger } from '../log/logger.js';
import type { EngineInfo, InferenceEngine } from '../model/index.js';
import { closeSinks, RunSummarySink, type FrameSink, type RunSummary } from '../sinks/index.js';
import { openEngine } from './engine.js';
import { logFfmpeg } from './ffmpeg-log.js';
import { once, type RoleHandle } from './role.js';
import { configuredSinks } from './sinks.js';

export interface ReplayOptions {
  log: Logger;
  /** Sinks beyond the configured ones (a progress bar...). */
  extraSinks?: readonly FrameSink[];
  /** Decode size; a side left out is the model's input size (the source's configured size is not used). */
  decodeSize?: { width?: number; height?: number };
  /** Called once the source is open, with its frame count when ffprobe knows it (for a progress bar). */
  onOpen?: (info: { frameCount?: number; engine: EngineInfo }) => void;
}

export interface ReplayResult {
  summary: RunSummary;
  engine: EngineInfo;
  /** stop() was called before the source ended. */
  interrupted: boolean;
  /** The source gave up part-way (the frames before were processed and written). */
  sourceError?: Error;
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

  // Sinks first: a bad output path is reported before the model takes seconds to load.
  const sinks = await configuredSinks(config);
  const { engine, stream } = await openEngineAndSource(sourceConfig, config, options).catch(async (error: unknown) => {
    await closeSinks(sinks).catch(() => {});
    throw error;
  });
  options.onOpen?.({ frameCount: stream.source.probed?.frameCount, engine: engine.info });

  const summary = new RunSummarySink();
  const allSinks = [summary, ...sinks, ...(options.extraSinks ?? [])];
  const flow = FrameFlow.start({ streams: [stream], engine, maxBatch: config.batching.maxBatch, maxWaitMs: config.batching.maxWaitMs, log, sinks: allSinks });

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

async function openEngineAndSource(source: SourceConfig, config: Config, options: ReplayOptions): Promise<{ engine: InferenceEngine; stream: ConfiguredStream }> {
  const engine = await openEngine(config.model, options.log);
  try {
    const size = engine.info.inputSize;
    const stream = await ConfiguredStream.create({
      ...source,
      mode: 'replay',
      width: options.decodeSize?.width ?? size.width,
      height: options.decodeSize?.height ?? size.height,
    });
    return { engine, stream };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
