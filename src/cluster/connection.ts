/**
 * The one connection a role holds to the broker. It reconnects forever (a broker restart or a
 * network cut is an outage to ride out, never a reason to exit), waits for the broker on first
 * connect too (a compose file may start the roles first; why it cannot connect is logged, a
 * certificate the CA does not vouch for included), and says whether it is connected now, which the
 * live publishers and the gateway's /readyz read. Credentials the broker refuses are a
 * configuration error: no retry fixes them.
 *
 *   const broker = await BrokerConnection.connect({ url: 'nats://127.0.0.1:4222', name: 'worker', log });
 *   broker.onReconnect(() => ensureTopology(broker));   // memory streams do not survive a restart
 *   await broker.close();
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthorizationError, connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { ConfigError } from '../config/errors.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../server/redact.js';
import type { BrokerSecurity } from './security.js';

export interface BrokerConnectionOptions {
  /** nats://host:port, or several separated by commas. */
  url: string;
  /** Shown by the server's monitoring pages: the role and the instance. */
  name: string;
  log: Logger;
  /** Milliseconds between reconnect attempts; default 500 (an outage costs at most this much extra). */
  reconnectTimeWaitMs?: number;
  /** Credentials and TLS (brokerSecurity turns the `cluster` settings into these); default: none. */
  security?: BrokerSecurity;
}

export class BrokerConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The broker URL as logs and /readyz show it: a password in it is redacted. */
  readonly url: string;
  readonly #log: Logger;
  readonly #reconnectHandlers = new Set<() => void>();
  readonly #changeHandlers = new Set<(connected: boolean) => void>();
  #connected = true;
  #closing = false;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, url: string, log: Logger) {
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc);
    this.url = url;
    this.#log = log;
    void this.#watchStatus();
  }

  /**
   * Resolves once connected (it keeps trying while the broker is away or refuses the TLS handshake).
   * @throws ConfigError naming `cluster.auth` when the broker refuses the credentials.
   */
  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const { name, log } = options;
    const servers = options.url.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const url = servers.map(redactUrl).join(',');
    const reconnectTimeWait = options.reconnectTimeWaitMs ?? 500;
    log.info(`broker: connecting to ${url}`);
    const nc = await connectOnceUp(
      {
        servers,
        name,
        ...options.security,
        maxReconnectAttempts: -1,
        // A broker that wants a client certificate this role lacks never answers the handshake.
        timeout: 5_000,
        reconnectTimeWait,
        reconnectJitter: 100,
        // A dead broker is noticed within ~10 s even when TCP says nothing (a cut cable).
        pingInterval: 5_000,
        maxPingOut: 2,
      },
      url,
      reconnectTimeWait,
      log,
    );
    try {
      const jsm = await jetstreamManager(nc);
      log.info(`broker: connected to ${nc.getServer()}`);
      return new BrokerConnection(nc, jsm, url, log);
    } catch (error) {
      await nc.close();
      throw new Error(`broker at ${url} answers but JetStream is not enabled there (start nats-server with -js): ${(error as Error).message}`, { cause: error });
    }
  }

  get connected(): boolean {
    return this.#connected && !this.nc.isClosed();
  }

  /** Called after each reconnect (not the first connect): re-create what a restarted broker lost. */
  onReconnect(handler: () => void): () => void {
    this.#reconnectHandlers.add(handler);
    return () => this.#reconnectHandlers.delete(handler);
  }

  /** Called on every change of `connected`. */
  onChange(handler: (connected: boolean) => void): () => void {
    this.#changeHandlers.add(handler);
    return () => this.#changeHandlers.delete(handler);
  }

  /** Flushes what was published and closes; idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.nc.isClosed()) return;
    // drain() flushes pending publishes and lets subscriptions finish; it hangs without a broker.
    if (this.#connected) await this.nc.drain().catch(() => this.nc.close());
    else await this.nc.close();
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.#set(false, () => this.#log.warn(`broker: disconnected from ${status.server}; reconnecting`));
      else if (status.type === 'reconnect') {
        this.#set(true, () => this.#log.info(`broker: reconnected to ${status.server}`));
        for (const handler of this.#reconnectHandlers) handler();
      } else if (status.type === 'error') this.#log.warn('broker: error', { error: status.error.message });
    }
  }

  #set(connected: boolean, say: () => void): void {
    if (this.#closing || this.#connected === connected) return;
    this.#connected = connected;
    say();
    for (const handler of this.#changeHandlers) handler(connected);
  }
}

/**
 * The first connection, tried until the broker answers. Not nats.js's waitOnFirstConnect: that
 * retries in silence, and a role whose TLS settings the broker rejects would wait without a word.
 */
async function connectOnceUp(options: ConnectionOptions, url: string, retryMs: number, log: Logger): Promise<NatsConnection> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect(options);
    } catch (error) {
      if (error instanceof AuthorizationError) {
        throw ConfigError.invalid([{ path: 'cluster.auth', message: `the broker at ${url} refused the credentials (${error.message})`, origin: 'the broker' }], undefined);
      }
      const why = [(error as { code?: string }).code, (error as Error).message].filter((part) => typeof part === 'string' && part !== '').join(': ');
      // The first failure is news; the ones after it while the broker stays away are not.
      if (attempt === 1) log.warn(`broker: cannot connect to ${url} (${why}); trying again every ${retryMs} ms`);
      else log.debug(`broker: still cannot connect to ${url}`, { attempt, error: why });
      await sleep(retryMs);
    }
  }
}
