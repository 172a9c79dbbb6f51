/**
 * Delivers posts to one webhook URL: one request at a time, in order, each attempt limited to
 * `timeoutMs`, and retried with exponential backoff and jitter (src/stream/backoff.ts) after a
 * network error, a timeout, 408, 429 or 5xx; another 4xx is the receiver refusing, not retried.
 * Posts wait in a bounded queue (the oldest dropped when full), so a receiver that stalls costs
 * memory up to `queueSize` posts and nothing else. Every outcome is counted (sink-metrics.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { BackoffConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import { redactUrl } from '../server/index.js';
import { restartDelayMs } from '../stream/backoff.js';
import { BoundedQueue } from './bounded-queue.js';
import type { SinkMetrics } from './sink-metrics.js';
import { within } from './within.js';

export interface WebhookRequest {
  body: string | FormData;
  /** Omitted for FormData: fetch writes the multipart boundary itself. */
  contentType?: string;
}

export interface WebhookPost {
  /** For logs: "label-change cam". */
  what: string;
  /** Built when its turn comes, so that a snapshot is encoded only for posts that are sent. */
  request(): Promise<WebhookRequest>;
}

export interface WebhookDeliveryOptions {
  url: string;
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
  retries: number;
  retryDelay: BackoffConfig;
  queueSize: number;
  /** Names the hook in logs and metrics. */
  name: string;
  log: Logger;
  metrics: SinkMetrics;
}

type Attempt = { ok: true } | { ok: false; retryable: boolean; reason: string };

/** A receiver that keeps failing is logged on its first failure and then once every this many. */
const LOG_EVERY_N_FAILURES = 100;
/** close() lets the queue drain for at most this long (or one attempt's timeout, if shorter). */
const CLOSE_GRACE_MS = 2000;

const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * An attempt's signal: aborts after `timeoutMs` (as a TimeoutError) or when `parent` aborts. Not
 * AbortSignal.any([AbortSignal.timeout(), parent]): on Node 20 a garbage collection during the
 * request can collect that composite, and then a stalled receiver holds the request forever
 * (test/unit/webhook-delivery-gc.test.ts). Here the timer and the listener hold it until dispose().
 */
export function attemptSignal(timeoutMs: number, parent: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) onParentAbort();
  else parent.addEventListener('abort', onParentAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}

export class WebhookDelivery {
  readonly #options: WebhookDeliveryOptions;
  readonly #queue: BoundedQueue<WebhookPost>;
  /** Aborts the request under way and the wait before a retry when close() runs out of patience. */
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #closing = false;
  #failuresInARow = 0;

  constructor(options: WebhookDeliveryOptions) {
    this.#options = options;
    this.#queue = new BoundedQueue(options.queueSize);
  }

  /** Queues a post; returns at once. */
  enqueue(post: WebhookPost): void {
    const { metrics, name, log, queueSize } = this.#options;
    if (this.#closing) return metrics.sinkMessages(name, 'dropped');
    const { dropped } = this.#queue.push(post);
    if (dropped) {
      metrics.sinkMessages(name, 'dropped');
      log.debug(`${name}: ${queueSize} posts wait; dropped the oldest (${dropped.what})`);
    }
    metrics.sinkQueue(name, this.#queue.length);
    this.#running ??= this.#drain();
  }

  /** Lets what is queued go out briefly, then abandons the rest (counted as dropped). */
  async close(): Promise<void> {
    const { metrics, name, timeoutMs } = this.#options;
    this.#closing = true;
    if (this.#running && !(await within(Math.min(timeoutMs, CLOSE_GRACE_MS), this.#running))) {
      this.#abort.abort();
      await this.#running;
    }
    metrics.sinkMessages(name, 'dropped', this.#queue.clear().length);
    metrics.sinkQueue(name, 0);
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      this.#options.metrics.sinkQueue(this.#options.name, this.#queue.length);
      await this.#deliver(next.item);
    }
    this.#running = undefined;
  }

  async #deliver(post: WebhookPost): Promise<void> {
    const { metrics, name, retries, retryDelay } = this.#options;
    let request: WebhookRequest;
    try {
      request = await post.request();
    } catch (error) {
      return this.#failed(post, (error as Error).message, 0);
    }
    for (let attempt = 0; ; attempt++) {
      const result = await this.#attempt(request);
      if (this.#abort.signal.aborted) return metrics.sinkMessages(name, 'dropped');
      if (result.ok) return this.#sent();
      if (!result.retryable || attempt >= retries) return this.#failed(post, result.reason, attempt + 1);
      metrics.sinkRetry(name);
      await delay(restartDelayMs(attempt + 1, retryDelay), undefined, { signal: this.#abort.signal }).catch(() => {});
    }
  }

  async #attempt({ body, contentType }: WebhookRequest): Promise<Attempt> {
    const { url, headers, timeoutMs } = this.#options;
    const sendHeaders = new Headers(headers);
    if (contentType !== undefined) sendHeaders.set('content-type', contentType);
    const deadline = attemptSignal(timeoutMs, this.#abort.signal);
    try {
      const response = await fetch(url, { method: 'POST', headers: sendHeaders, body, signal: deadline.signal });
      // An unread body would keep the connection busy.
      await response.body?.cancel().catch(() => {});
      return response.ok ? { ok: true } : { ok: false, retryable: retryableStatus(response.status), reason: `HTTP ${response.status}` };
    } catch (error) {
      const { name, message, cause } = error as Error & { cause?: { code?: string } };
      return { ok: false, retryable: true, reason: name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? message) };
    } finally {
      deadline.dispose();
    }
  }

  #sent(): void {
    const { metrics, name, log } = this.#options;
    metrics.sinkMessages(name, 'sent');
    if (this.#failuresInARow > 0) log.info(`${name}: the receiver answers again`, { failedBefore: this.#failuresInARow });
    this.#failuresInARow = 0;
  }

  #failed(post: WebhookPost, reason: string, attempts: number): void {
    const { metrics, name, log, url } = this.#options;
    metrics.sinkMessages(name, 'failed');
    if (this.#failuresInARow++ % LOG_EVERY_N_FAILURES === 0) {
      log.warn(`${name}: POST ${redactUrl(url)} failed (${post.what}): ${reason}`, { attempts, failuresInARow: this.#failuresInARow });
    }
  }
}
