/** What every broker role does first: find the broker's URL in the config, connect, and keep the topology in place. */
import { ConfigError, type Config } from '../config/index.js';
import { BrokerConnection, brokerSecurity, ensureTopology, uniqueToken } from '../cluster/index.js';
import type { Logger } from '../log/logger.js';

export interface OpenedBroker {
  broker: BrokerConnection;
  /** This process's id on the broker (heartbeats, frame origins, monitoring). */
  instance: string;
}

/**
 * Connects (waiting while the broker is away) and creates or updates the streams and consumers;
 * again after every reconnect, because a restarted broker has lost its memory streams.
 * @throws ConfigError naming `cluster.url` when no broker is configured.
 */
export async function openBroker(config: Pick<Config, 'cluster'>, role: string, log: Logger): Promise<OpenedBroker> {
  const { url } = config.cluster;
  if (url === undefined) {
    throw ConfigError.invalid([{ path: 'cluster.url', message: `'${role}' needs a broker: give --nats URL, DECORRUPTOR_NATS_URL or cluster.url`, origin: 'the command line' }], undefined);
  }
  const security = await brokerSecurity(config.cluster);
  const instance = uniqueToken(`${role}-`);
  const broker = await BrokerConnection.connect({ url, name: `decorruptor ${instance}`, log, security });
  try {
    await ensureTopology(broker.jsm, config.cluster, log);
  } catch (error) {
    await broker.close();
    throw error;
  }
  broker.onReconnect(() => {
    ensureTopology(broker.jsm, config.cluster, log).catch((error: unknown) => log.warn('broker: streams could not be re-created after the reconnect', { error: (error as Error).message }));
  });
  return { broker, instance };
}
