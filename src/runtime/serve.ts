/**
 * The all-in-one role: every configured source through the editor and classifier, out to the
 * dashboard server (/, /ws, /healthz, /readyz, /metrics) and any sinks the configuration adds.
 *
 *   const serving = await startServe(config, { log });
 *   console.log(serving.url);
 *   await serving.stop();
 */
import { effectiveSources, type Config } from '../config/index.js';
import { CORRUPTION_TYPES } from '../corrupt/index.js';
import { ConfiguredStream, describeSources } from '../flow/configured-stream.js';
import { resolveSource } from '../flow/demo-source.js';
import { FrameFlow } from '../flow/frame-flow.js';
import { AllSourcesFailedError, openStreams, sourceFailure } from '../flow/open-streams.js';
import { RegionControls } from '../flow/regions/index.js';
import type { Logger } from '../log/logger.js';
import { DashboardServer, failedSourceEvent, sourceDescriptor } from '../server/index.js';
import { closeSinks, dashboardSink, type FrameSink } from '../sinks/index.js';
import { openEngine } from './engine.js';
import { logFfmpeg } from './ffmpeg-log.js';
import { once, type RoleHandle } from './role.js';
import { ServeStreams } from './serve-streams.js';
import { configuredSinks } from './sinks.js';
import { corruptionGateFor } from './corruption-gate.js';
import { motionGateFor } from './motion-gate.js';
import { version } from './version.js';

export interface ServeOptions {
  log: Logger;
  /** Sinks beyond the configured ones (e.g. a test's probe). */
  extraSinks?: readonly FrameSink[];
}

export interface ServeHandle extends RoleHandle {
  /** The dashboard's base URL, e.g. http://127.0.0.1:8080/. */
  readonly url: string;
  readonly server: DashboardServer;
}

/**
 * Starts serving; resolves once the server listens, the model is loaded and the sources are open.
 * `done` settles when the flow has stopped (stop(), or every source ended) and everything is closed;
 * it rejects with AllSourcesFailedError when every source gave up. With the stream API on
 * (server.api.enabled) streams come and go: only stop() ends it, and failed sources do not fail it.
 * @throws (and closes what it opened) a bad bundle, a port in use, or no source that can be opened.
 */
export async function startServe(config: Config, options: ServeOptions): Promise<ServeHandle> {
  const { log } = options;
  logFfmpeg(log);
  const sources = effectiveSources(config);
  // With the stream API on, streams come and go: none running is no reason to stop.
  const apiEnabled = config.server.api.enabled;
  const live = new ServeStreams(config, log);
  const regions = new RegionControls();
  const server = await DashboardServer.create({
    config,
    info: { version, labels: [], model: { loading: true }, corruptions: [...CORRUPTION_TYPES] },
    log,
    streams: sources.map(sourceDescriptor),
    handlers: { ...live.handlers, setRegions: (streamId, list) => regions.set(streamId, list) },
  });
  const opened: Array<{ close(): Promise<void> }> = [server];
  // Whatever fails during start-up closes what is already open, or the process never exits.
  const closeOpened = async () => {
    for (const part of opened.reverse()) await part.close();
  };
  try {
    const { url } = await server.listen();
    const base = url.replace(/\/$/, '');
    log.info(`dashboard on ${base}/  (WebSocket ${base.replace(/^http/, 'ws')}/ws)`);

    const engine = await openEngine(config.model, log);
    opened.push(engine);
    log.info(`model ${engine.info.name}: editor ${engine.info.editor} (${engine.info.steps} steps) on ${engine.info.provider}`);
    server.setInfo({ labels: engine.info.labels, model: { ...engine.info } });
    server.setModelReady(true);

    // One source that cannot be opened is shown as failed; the others carry on.
    const { opened: streams, failures } = await openStreams(
      sources,
      async (source) => {
        const resolved = await resolveSource(source, config, log);
        return ConfiguredStream.create(resolved.config, { label: resolved.label });
      },
      { allowNone: apiEnabled },
    );
    live.opened(streams, failures.map((f) => f.sourceId));
    describeSources(streams, log);

    const sinks = [dashboardSink(server), ...(await configuredSinks(config, { log, metrics: server.metrics, timings: (id) => live.timing(id) })), ...(options.extraSinks ?? [])];
    const flow = FrameFlow.start({ streams, endWhenAllEnded: !apiEnabled, engine, maxBatch: config.batching.maxBatch, maxWaitMs: config.batching.maxWaitMs, smoothing: config.smoothing, motionGate: motionGateFor(config, true), gate: corruptionGateFor(config, engine.info), log, sinks });

    // Every output hears of the sources that could not be opened: the dashboard, MQTT, webhooks.
    for (const failure of failures) flow.reportState(failedSourceEvent(failure));
    // The configured regions join the flow, each a stream cut from its source's frames.
    live.attach({ flow, server, regions });

    const shutdown = once(async () => {
      live.detach();
      await flow.stop();
      // A sink that cannot flush is reported; the server and the engine are closed all the same.
      await closeSinks(sinks).catch((error: unknown) => log.error('a sink failed to close', { error: (error as Error).message }));
      await engine.close();
      await server.close();
    });
    const done = (async () => {
      try {
        await flow.done;
        log.info('frame flow stopped');
        // Every source gave up (none ended normally): fail, so that a supervisor sees it. (With
        // the stream API the flow runs until stop(), whatever its streams did.)
        if (!apiEnabled && flow.sourceErrors.length === streams.length) {
          throw new AllSourcesFailedError([...failures, ...flow.sourceErrors.map((e) => sourceFailure({ id: e.sourceId ?? '?', url: e.url }, e))]);
        }
      } finally {
        await shutdown();
      }
    })();
    return {
      url,
      server,
      done,
      stop: async () => {
        await shutdown();
        await done.catch(() => {});
      },
    };
  } catch (error) {
    await closeOpened();
    throw error;
  }
}
