/**
 * The gateway role (`decorruptor gateway`): the dashboard server of `serve` (/, /ws with the same
 * protocol and auth, /healthz, /readyz, /metrics) fed from the broker instead of a local flow:
 * results from the result subjects (their JPEGs sent on as they are), stream states from the
 * ingests' KV board, set-corruption forwarded to the ingest that owns the stream, the model line
 * from the workers' heartbeats. Any number of gateways may run; each shows everything.
 * /readyz says 503 BROKER_UNAVAILABLE while the broker is away and NO_WORKER while no worker is heard.
 *
 * The gateway is where all of a stream's results meet, put in seq order (ResultOrder): it runs
 * label smoothing (`smoothing`) and the configured sinks (MQTT, webhooks, JSONL, recordings),
 * which hear the board's states as `serve`'s sinks hear their sources. Give the sinks to one
 * gateway only, or each publishes everything.
 *
 *   const gateway = await startGateway(config, { log });
 *   console.log(gateway.url);
 */
import type { Config } from '../config/index.js';
import { BoardStates, END_QUIET_MS, requestCorruption, ResultOutputs, SettledEnds, subscribeResults, watchStreamStates, WorkerRoster } from '../cluster/index.js';
import { CORRUPTION_TYPES } from '../corrupt/index.js';
import type { Logger } from '../log/logger.js';
import { DashboardServer } from '../server/index.js';
import { closeSinks, type FrameSink } from '../sinks/index.js';
import { openBroker } from './broker.js';
import { once, type RoleHandle } from './role.js';
import { configuredSinks, pictureNeeds } from './sinks.js';
import { version } from './version.js';

export interface GatewayOptions {
  log: Logger;
  /** Sinks beyond the configured ones (e.g. a test's probe). */
  extraSinks?: readonly FrameSink[];
}

export interface GatewayHandle extends RoleHandle {
  /** The dashboard's base URL, e.g. http://127.0.0.1:8080/. */
  readonly url: string;
  readonly server: DashboardServer;
}

/**
 * Connects (waiting while the broker is away) and listens.
 * @throws ConfigError without `cluster.url`; a port in use (having closed the connection).
 */
export async function startGateway(config: Config, options: GatewayOptions): Promise<GatewayHandle> {
  const { log } = options;
  const { broker, instance } = await openBroker(config, 'gateway', log);
  let roster: WorkerRoster | undefined;
  const server = await DashboardServer.create({
    config,
    info: { version, labels: [], model: { loading: true }, corruptions: [...CORRUPTION_TYPES] },
    log,
    // Streams are announced by the ingests (the KV board), not by this process's config.
    streams: [],
    handlers: { setCorruption: (streamId, corruption) => requestCorruption(broker, streamId, corruption) },
    readiness: () => {
      if (!broker.connected) return { reason: 'BROKER_UNAVAILABLE', message: `the broker at ${broker.url} cannot be reached` };
      if ((roster?.alive() ?? 0) === 0) return { reason: 'NO_WORKER', message: 'no worker has been heard from lately' };
      return undefined;
    },
  });
  const configured = await gatewaySinks(config, server, log).catch(async (error: unknown) => {
    await server.close();
    await broker.close();
    throw error;
  });
  const sinks = [...configured, ...(options.extraSinks ?? [])];
  const outputs = new ResultOutputs({ sinks, smoothing: config.smoothing, pictures: pictureNeeds(config.sinks), log });
  // The models are the workers'; whether one answers is the readiness check above.
  server.setModelReady(true);
  roster = new WorkerRoster(broker, (model) => {
    const labels = Array.isArray(model['labels']) ? (model['labels'] as string[]) : [];
    server.setInfo({ labels, model });
    outputs.setLabels(labels);
  });
  const boardStates = new BoardStates();
  const ends = new SettledEnds(END_QUIET_MS, (event) => outputs.state(event));
  const results = subscribeResults(
    broker,
    {
      result: (result) => {
        ends.result(result.frame.streamId);
        const shown = outputs.result(result);
        void server.publishFrame(shown.frame, shown.inference, shown.images);
      },
      dropped: (streamId, count) => {
        server.metrics.framesDropped(streamId, count);
        outputs.dropped(streamId, count);
      },
    },
    log,
    { maxWaiting: config.cluster.replay.maxAckPending },
  );
  const stopWatching = watchStreamStates(
    broker,
    {
      update: (record) => {
        const { id, url, corruption, state, code, message, attempt } = record;
        server.addStream({ id, ...(url === undefined ? {} : { url }), ...(corruption === undefined ? {} : { corruption }) });
        server.setStreamState(id, { state, ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }), ...(attempt === undefined ? {} : { attempt }) });
        const event = boardStates.event(record);
        if (event) ends.state(event);
      },
      remove: (id) => {
        const event = boardStates.removed(id);
        if (event) ends.state(event);
        results.forget(id);
        server.removeStream(id);
      },
    },
    log,
  );
  const shutdown = once(async () => {
    results.unsubscribe();
    stopWatching();
    roster?.close();
    ends.close();
    await outputs.flush();
    // A sink that cannot flush is reported; the server and the connection are closed all the same.
    await closeSinks(sinks).catch((error: unknown) => log.error('a sink failed to close', { error: (error as Error).message }));
    await server.close();
    await broker.close();
  });
  try {
    const { url } = await server.listen();
    const base = url.replace(/\/$/, '');
    log.info(`gateway ${instance}: dashboard on ${base}/  (WebSocket ${base.replace(/^http/, 'ws')}/ws)`);
    let stopped: () => void = () => {};
    const done = new Promise<void>((resolve) => (stopped = resolve)).then(shutdown);
    return {
      url,
      server,
      done,
      stop: async () => {
        stopped();
        await done;
      },
    };
  } catch (error) {
    await shutdown();
    throw error;
  }
}

/** The configured sinks a gateway runs: all but the annotated video, which is `run`'s (one replayed file). */
async function gatewaySinks(config: Config, server: DashboardServer, log: Logger): Promise<FrameSink[]> {
  const { annotatedVideo, ...sinks } = config.sinks;
  if (annotatedVideo) log.warn('gateway: sinks.annotatedVideo is for `run`; ignored (sinks.recordings records live streams)');
  const opened = await configuredSinks({ sinks }, { log, metrics: server.metrics });
  if (opened.length > 0) log.info(`gateway: runs the sinks ${opened.map((sink) => sink.name).join(', ')}; give them to one gateway only, or each publishes everything`);
  return opened;
}

