/**
 * One connection to an MQTT broker that never makes its caller wait. publish() queues (bounded:
 * the oldest message is dropped when full, a retained topic's older value is replaced) and hands
 * messages to mqtt.js only while connected, a few dozen at a time, so that nothing piles up
 * unbounded inside mqtt.js either. While the broker is away it reconnects with exponential
 * backoff and jitter (src/stream/backoff.ts; mqtt.js alone retries at a fixed period). Every
 * (re)connection first publishes the birth message (`available: online`); the broker publishes
 * the last will (`offline`) if the process dies, and close() publishes it itself.
 *
 *   const mqtt = new MqttPublisher({ url, birth, will, ... });
 *   mqtt.publish({ topic: 'decorruptor/cam/label', payload: '{...}', retain: true, key: 'decorruptor/cam/label' });
 *   await mqtt.close();
 */
import { connect, type MqttClient } from 'mqtt';
import type { BackoffConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../server/index.js';
import { restartDelayMs } from '../stream/backoff.js';
import { BoundedQueue } from './bounded-queue.js';
import type { SinkMetrics } from './sink-metrics.js';
import { within } from './within.js';

export interface MqttMessage {
  topic: string;
  payload: string | Buffer;
  retain: boolean;
  /** A queued message with the same key is replaced by this one (retained topics: only the newest value matters). */
  key?: string;
}

export interface MqttPublisherOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  qos: 0 | 1 | 2;
  /** Published before anything else on every connection. */
  birth: MqttMessage;
  /** Registered with the broker as the last will, and published by close(). */
  will: MqttMessage;
  /** Called on every connection, after the birth message: a chance to publish the current state again. */
  onConnect?: () => void;
  bufferSize: number;
  reconnect: BackoffConfig;
  connectTimeoutMs: number;
  /** Names this connection in logs and metrics. */
  name: string;
  log: Logger;
  metrics: SinkMetrics;
}

/** Messages handed to mqtt.js and not yet confirmed (written for QoS 0, acknowledged for 1 and 2). */
const MAX_IN_FLIGHT = 64;
/** close() gives the queue and the offline message this long to go out to a live broker. */
const CLOSE_GRACE_MS = 2000;

interface Queued {
  item: MqttMessage;
  key?: string;
}

export class MqttPublisher {
  readonly #options: MqttPublisherOptions;
  readonly #client: MqttClient;
  readonly #queue: BoundedQueue<MqttMessage>;
  /** What mqtt.js has not confirmed, by our id: put back in the queue when the connection drops. */
  readonly #inFlight = new Map<number, Queued>();
  #nextId = 0;
  #connected = false;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #lastError: string | undefined;
  #warnedFull = false;
  #whenIdle: Array<() => void> = [];
  #closing: Promise<void> | undefined;

  constructor(options: MqttPublisherOptions) {
    this.#options = options;
    this.#queue = new BoundedQueue(options.bufferSize);
    const { will, qos } = options;
    this.#client = connect(options.url, {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      clean: true,
      reconnectPeriod: 0, // reconnection is ours, with backoff (#onClose)
      connectTimeout: options.connectTimeoutMs,
      queueQoSZero: false, // nothing waits inside mqtt.js: it is handed over only while connected
      will: { topic: will.topic, payload: Buffer.from(will.payload), qos, retain: will.retain },
    });
    this.#client.on('connect', () => this.#onConnect());
    this.#client.on('close', () => this.#onClose());
    // Without a listener an 'error' event would crash the process; 'close' follows it.
    this.#client.on('error', (error) => (this.#lastError = error.message));
    options.metrics.sinkConnected(options.name, false);
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Messages waiting for the broker. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Queues a message; returns at once. After close() it is dropped (counted). */
  publish(message: MqttMessage): void {
    const { metrics, name, log, bufferSize } = this.#options;
    if (this.#closing) return metrics.sinkMessages(name, 'dropped');
    const { dropped, superseded } = this.#queue.push(message, message.key);
    if (superseded) metrics.sinkMessages(name, 'superseded');
    if (dropped) {
      metrics.sinkMessages(name, 'dropped');
      if (!this.#warnedFull) log.warn(`${name}: ${bufferSize} messages wait for the broker; dropping the oldest (counted in /metrics)`);
      this.#warnedFull = true;
    }
    this.#pump();
  }

  /** Sends what is queued (for a live broker, briefly), publishes the will, and disconnects. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const { metrics, name, will, qos } = this.#options;
    clearTimeout(this.#reconnectTimer);
    if (this.#connected) {
      const deadline = Date.now() + CLOSE_GRACE_MS;
      const idle = new Promise<void>((resolve) => this.#whenIdle.push(resolve));
      this.#checkIdle();
      await within(CLOSE_GRACE_MS, idle);
      const offline = new Promise<void>((resolve) => this.#client.publish(will.topic, will.payload, { qos, retain: will.retain }, () => resolve()));
      await within(Math.max(100, deadline - Date.now()), offline);
    }
    metrics.sinkMessages(name, 'dropped', this.#queue.clear().length + this.#inFlight.size);
    this.#inFlight.clear();
    const ended = new Promise<void>((resolve) => this.#client.end(!this.#connected, {}, () => resolve()));
    if (!(await within(CLOSE_GRACE_MS, ended))) this.#client.end(true);
    this.#connected = false;
    metrics.sinkConnected(name, false);
    metrics.sinkQueue(name, 0);
  }

  #onConnect(): void {
    const { log, name, url, metrics } = this.#options;
    log.info(`${name}: connected to ${redactUrl(url)}`, this.#attempt > 0 ? { attempts: this.#attempt } : undefined);
    this.#connected = true;
    this.#attempt = 0;
    this.#lastError = undefined;
    this.#warnedFull = false;
    metrics.sinkConnected(name, true);
    this.#send({ item: this.#options.birth }, false);
    this.#pump();
    this.#options.onConnect?.();
  }

  #onClose(): void {
    const { log, name, url, metrics, reconnect } = this.#options;
    const wasConnected = this.#connected;
    this.#connected = false;
    metrics.sinkConnected(name, false);
    // Unconfirmed messages go out again after the reconnection, unless newer ones replaced them.
    const lost = this.#queue.returnToFront([...this.#inFlight.values()]);
    this.#inFlight.clear();
    metrics.sinkMessages(name, 'dropped', lost.length);
    if (this.#closing) return;
    this.#attempt += 1;
    const delayMs = restartDelayMs(this.#attempt, reconnect);
    const fields = { error: this.#lastError, retryInMs: delayMs, queued: this.#queue.length };
    if (wasConnected) log.warn(`${name}: lost the broker at ${redactUrl(url)}; reconnecting with backoff`, fields);
    else if (this.#attempt === 1) log.warn(`${name}: cannot reach the broker at ${redactUrl(url)}; retrying with backoff, the frame flow carries on`, fields);
    else log.debug(`${name}: broker still unreachable`, { ...fields, attempt: this.#attempt });
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closing) this.#client.reconnect();
    }, delayMs);
  }

  #pump(): void {
    while (this.#connected && this.#inFlight.size < MAX_IN_FLIGHT) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      this.#send(next, true);
    }
    this.#options.metrics.sinkQueue(this.#options.name, this.#queue.length);
    this.#checkIdle();
  }

  /** `tracked`: put back in the queue if the connection drops before mqtt.js confirms it (the birth is not: every connection sends its own). */
  #send(queued: Queued, tracked: boolean): void {
    const { metrics, name, qos, log } = this.#options;
    const id = this.#nextId++;
    if (tracked) this.#inFlight.set(id, queued);
    const { topic, payload, retain } = queued.item;
    this.#client.publish(topic, payload, { qos, retain }, (error) => {
      // Not in flight any more: the connection dropped first and it went back to the queue.
      if (tracked && !this.#inFlight.delete(id)) return;
      metrics.sinkMessages(name, error ? 'failed' : 'sent');
      if (error) log.debug(`${name}: publish to ${topic} failed`, { error: error.message });
      this.#pump();
    });
  }

  #checkIdle(): void {
    if (this.#queue.length > 0 || this.#inFlight.size > 0) return;
    for (const resolve of this.#whenIdle.splice(0)) resolve();
  }
}
