/**
 * The one connection a role holds to the broker. It reconnects forever (a broker restart or a
 * network cut is an outage to ride out, never a reason to exit), waits for the broker on first
 * connect too (a compose file may start the roles first), and says whether it is connected now,
 * which the live publishers and the gateway's /readyz read.
 *
 *   const broker = await BrokerConnection.connect({ url: 'nats://127.0.0.1:4222', name: 'worker', log });
 *   broker.onReconnect(() => ensureTopology(broker));   // memory streams do not survive a restart
 *   await broker.close();
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Logger } from '../log/logger.js';

export interface BrokerConnectionOptions {
  /** nats://host:port, or several separated by commas. */
  url: string;
  /** Shown by the server's monitoring pages: the role and the instance. */
  name: string;
  log: Logger;
  /** Milliseconds between reconnect attempts; default 500 (an outage costs at most this much extra). */
  reconnectTimeWaitMs?: number;
}

export class BrokerConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
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

  /** Resolves once connected (it keeps trying while the broker is away). */
  static async connect(options: BrokerConnectionOptions): Promise<BrokerConnection> {
    const { url, name, log } = options;
    const servers = url.split(',').map((s) => s.trim()).filter((s) => s !== '');
    log.info(`broker: connecting to ${url}`);
    const nc = await connect({
      servers,
      name,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 500,
      reconnectJitter: 100,
      // A dead broker is noticed within ~10 s even when TCP says nothing (a cut cable).
      pingInterval: 5_000,
      maxPingOut: 2,
    });
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
