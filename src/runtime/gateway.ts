/**
 * The gateway role (`decorruptor gateway`): the dashboard server of `serve` (/, /ws with the same
 * protocol and auth, /healthz, /readyz, /metrics) fed from the broker instead of a local flow:
 * results from the result subjects (their JPEGs sent on as they are), stream states from the
 * ingests' KV board, set-corruption forwarded to the ingest that owns the stream, the model line
 * from the workers' heartbeats. Any number of gateways may run; each shows everything.
 * /readyz says 503 BROKER_UNAVAILABLE while the broker is away and NO_WORKER while no worker is heard.
 *
 *   const gateway = await startGateway(config, { log });
 *   console.log(gateway.url);
 */
import type { Config } from '../config/index.js';
import { requestCorruption, subscribeResults, watchStreamStates, WorkerRoster } from '../cluster/index.js';
import { CORRUPTION_TYPES } from '../corrupt/index.js';
import type { Logger } from '../log/logger.js';
import { DashboardServer } from '../server/index.js';
import { openBroker } from './broker.js';
import { once, type RoleHandle } from './role.js';
import { version } from './version.js';

export interface GatewayOptions {
  log: Logger;
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
  // The models are the workers'; whether one answers is the readiness check above.
  server.setModelReady(true);
  roster = new WorkerRoster(broker, (model) => server.setInfo({ labels: Array.isArray(model['labels']) ? (model['labels'] as string[]) : [], model }));
  const stopWatching = watchStreamStates(
    broker,
    {
      update: ({ id, url, corruption, state, code, message, attempt }) => {
        server.addStream({ id, ...(url === undefined ? {} : { url }), ...(corruption === undefined ? {} : { corruption }) });
        server.setStreamState(id, { state, ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }), ...(attempt === undefined ? {} : { attempt }) });
      },
      remove: (id) => server.removeStream(id),
    },
    log,
  );
  const results = subscribeResults(
    broker,
    {
      result: ({ frame, inference, images }) => void server.publishFrame(frame, inference, images),
      dropped: (streamId, count) => server.metrics.framesDropped(streamId, count),
    },
    log,
  );
  const shutdown = once(async () => {
    results.unsubscribe();
    stopWatching();
    roster?.close();
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
