/**
 * DashboardServer: the HTTP + WebSocket face of the pipeline. The pipeline tells it what happens
 * (model ready, stream states, processed frames, counts for metrics); the server fans that out to
 * clients without ever making the pipeline wait for one of them.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { type Config, effectiveSources, type SourceConfig } from '../config/schema.js';
import type { FrameInference } from '../model/types.js';
import type { Frame } from '../stream/frame.js';
import type { ClientConnection } from './client-connection.js';
import { ClientHub } from './client-hub.js';
import { buildFrameMessage, type FrameImages } from './frame-message.js';
import { createRequestHandler, type NotReady, type Readiness } from './http-routes.js';
import { LatestOnlyQueue } from './latest-only.js';
import { ServiceMetrics } from './metrics.js';
import { type HelloMessage, PROTOCOL_VERSION } from './protocol.js';
import { StaticFiles } from './static-files.js';
import { redactUrlsInText } from './redact.js';
import { createStreamApi } from './stream-api.js';
import { StreamRegistry } from './stream-registry.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { ServerHandlers, ServerInfo, StreamDescriptor, StreamStateUpdate } from './types.js';
import { checkUpgrade } from './upgrade-guard.js';

export interface DashboardServerOptions {
  config: Config;
  info: ServerInfo;
  log?: Logger;
  handlers?: ServerHandlers;
  /** Streams to announce before the pipeline reports on them; default: the config's (or the demo), via sourceDescriptor. */
  streams?: StreamDescriptor[];
  /** Dashboard folder; default: public/ at the package root. */
  staticDir?: string;
  /** Register prom-client's process metrics (event-loop lag, memory...); default true. */
  defaultMetrics?: boolean;
  /** A readiness condition of the role's own (a gateway: its broker connection), checked first. */
  readiness?: () => NotReady | undefined;
}

export interface PublishOutcome {
  /** sent: encoded and offered to clients; no-subscribers: nobody wanted it (not encoded);
   *  superseded: a newer frame of the stream replaced it while encoding was busy;
   *  failed: encoding failed (logged); closed: the server is shutting down. */
  status: 'sent' | 'no-subscribers' | 'superseded' | 'failed' | 'closed';
  /** Clients that got the frame. */
  sent: number;
  /** Clients that skipped it because their socket was backed up. */
  skipped: number;
}

export interface ClientSnapshot {
  id: number;
  remote: string;
  subscription: '*' | string[];
  paused: boolean;
  skipped: number;
  bufferedBytes: number;
}

const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

export class DashboardServer {
  readonly #config: Config;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #hub: ClientHub;
  readonly #streams: StreamRegistry;
  readonly #metrics: ServiceMetrics;
  readonly #handlers: ServerHandlers;
  readonly #publishQueues = new Map<string, LatestOnlyQueue<PublishOutcome>>();
  readonly #roleReadiness: (() => NotReady | undefined) | undefined;
  #info: ServerInfo;
  #statsTimer: NodeJS.Timeout | undefined;
  #modelReady = false;
  #closing = false;

  private constructor(options: DashboardServerOptions, staticFiles: StaticFiles) {
    const server = options.config.server;
    this.#config = options.config;
    this.#info = options.info;
    this.#log = options.log ?? silentLogger;
    this.#handlers = options.handlers ?? {};
    this.#roleReadiness = options.readiness;
    // A stream or region removed takes its publish queue and its /metrics series with it.
    this.#streams = new StreamRegistry({
      onForget: (id) => {
        this.#publishQueues.delete(id);
        this.#metrics.forgetStream(id);
      },
    });
    for (const stream of options.streams ?? effectiveSources(options.config).map(sourceDescriptor)) this.#streams.ensure(stream);
    this.#metrics = new ServiceMetrics(this.#streams, { defaultMetrics: options.defaultMetrics ?? true });

    this.#hub = new ClientHub({
      client: { queueBytes: server.clientQueueBytes, messagesPerSecond: server.rateLimit.messagesPerSecond, burst: server.rateLimit.burst },
      heartbeatMs: server.heartbeatMs,
      hello: (client) => this.#hello(client),
      streams: this.#streams,
      handlers: this.#handlers,
      metrics: this.#metrics,
      log: this.#log,
    });
    // JPEGs do not compress; deflate would only cost CPU and memory per client.
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: server.maxPayloadBytes, clientTracking: false });
    const api = createStreamApi({
      server,
      streams: this.#streams,
      handlers: this.#handlers,
      applyCorruption: (streamId, corruption) => this.#hub.applyCorruption(streamId, corruption),
      closing: () => this.#closing,
      log: this.#log,
    });
    this.#http = createServer(createRequestHandler({ staticFiles, metrics: this.#metrics, readiness: () => this.readiness(), log: this.#log, api }));
    this.#http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
  }

  static async create(options: DashboardServerOptions): Promise<DashboardServer> {
    const staticFiles = await StaticFiles.create(options.staticDir ?? DEFAULT_STATIC_DIR);
    return new DashboardServer(options, staticFiles);
  }

  /** Starts listening on config.server host:port (port 0 picks a free port). */
  async listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = this.#config.server;
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    this.#statsTimer = setInterval(() => this.#broadcastStats(), this.#config.server.statsIntervalMs).unref();
    const bound = (this.#http.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`;
    this.#log.info('server listening', { url });
    return { host, port: bound, url };
  }

  /** Says goodbye to clients (1001), stops accepting, and resolves when everything is closed. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#statsTimer);
    await this.#hub.close();
    this.#wss.close();
    if (this.#http.listening) {
      const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
      this.#http.closeAllConnections();
      await closed;
    }
  }

  /** Counters and histograms the pipeline feeds (see ServiceMetrics). */
  get metrics(): ServiceMetrics {
    return this.#metrics;
  }

  get clientCount(): number {
    return this.#hub.size;
  }

  /** A look at each connected client (for diagnostics and tests). */
  clients(): ClientSnapshot[] {
    return [...this.#hub.clients].map((c) => ({
      id: c.id,
      remote: c.remote,
      subscription: c.subscription,
      paused: c.paused,
      skipped: c.skipped,
      bufferedBytes: c.bufferedBytes,
    }));
  }

  /** Models loaded (or unloaded): half of what /readyz checks. */
  setModelReady(ready: boolean): void {
    this.#modelReady = ready;
  }

  /** Updates what clients are told about the model (e.g. once the bundle is loaded); re-sends hello. */
  setInfo(info: Partial<ServerInfo>): void {
    this.#info = { ...this.#info, ...info };
    for (const client of this.#hub.clients) client.sendJson(this.#hello(client));
  }

  addStream(stream: StreamDescriptor): void {
    const isNew = !this.#streams.has(stream.id);
    this.#streams.ensure(stream);
    if (!isNew) return;
    this.#hub.broadcast({ type: 'state', streamId: stream.id, state: 'starting', at: Date.now() });
    // The hello carries its URL and corruption choices (as removeStream's tells that it is gone).
    for (const client of this.#hub.clients) client.sendJson(this.#hello(client));
  }

  removeStream(streamId: string): void {
    this.#streams.remove(streamId);
    for (const client of this.#hub.clients) client.sendJson(this.#hello(client));
  }

  /**
   * A source changed state; every client is told. URLs in the message (ffmpeg quotes its input)
   * are redacted first: a camera's password must not reach the dashboards.
   */
  setStreamState(streamId: string, stateUpdate: StreamStateUpdate): void {
    if (this.#streams.wasRemoved(streamId)) return; // a last word of a stream the clients were told is gone
    const update = stateUpdate.message === undefined ? stateUpdate : { ...stateUpdate, message: redactUrlsInText(stateUpdate.message) };
    const previous = this.#streams.setState(streamId, update);
    this.#metrics.sourceState(streamId, update.state, previous);
    this.#hub.broadcast({ type: 'state', streamId, ...update, at: Date.now() });
    const level = update.state === 'error' ? 'error' : update.state === 'reconnecting' ? 'warn' : 'info';
    this.#log[level]('stream state', { stream: streamId, ...update });
  }

  /**
   * Publishes one processed frame to the clients subscribed to its stream. Never waits on a
   * client; resolves once the frame was handed to the sockets (or skipped). It may be called
   * without awaiting: frames of one stream are sent in order, and when they come faster than they
   * can be encoded the waiting one is replaced by the newer one (`superseded`).
   * Counts the frame as processed and records its capture-to-send latency. `images`: the frame's
   * JPEGs when they are already encoded (a gateway fed by the broker), sent as they are.
   */
  async publishFrame(frame: Frame, inference: FrameInference, images?: FrameImages): Promise<PublishOutcome> {
    if (this.#closing) return { status: 'closed', sent: 0, skipped: 0 };
    if (!this.#streams.has(frame.streamId)) {
      // A frame still in flight when its stream (or region) was removed is no news of a new stream.
      if (this.#streams.wasRemoved(frame.streamId)) return { status: 'no-subscribers', sent: 0, skipped: 0 };
      this.setStreamState(frame.streamId, { state: 'running' });
    }
    this.#metrics.frameProcessed(frame.streamId, {
      labelChanged: inference.labelChanged,
      reused: inference.reused,
      edited: inference.edited !== null,
      gated: inference.gate?.active === false,
    });
    const result = await this.#publishQueue(frame.streamId).push(() => this.#deliver(frame, inference, images));
    if (result.status === 'done') return result.value;
    this.#metrics.framesSkipped('superseded');
    return { status: 'superseded', sent: 0, skipped: 0 };
  }

  readiness(): Readiness {
    if (this.#closing) return { ready: false, reason: 'SHUTTING_DOWN', message: 'the server is shutting down' };
    const notReady = this.#roleReadiness?.();
    if (notReady !== undefined) return { ready: false, ...notReady };
    if (!this.#modelReady) return { ready: false, reason: 'MODEL_NOT_LOADED', message: 'models are not loaded yet' };
    const running = this.#streams.runningCount();
    if (running === 0) return { ready: false, reason: 'NO_SOURCE_RUNNING', message: 'no source is running' };
    return { ready: true, runningStreams: running };
  }

  #publishQueue(streamId: string): LatestOnlyQueue<PublishOutcome> {
    let queue = this.#publishQueues.get(streamId);
    if (queue === undefined) {
      queue = new LatestOnlyQueue();
      this.#publishQueues.set(streamId, queue);
    }
    return queue;
  }

  async #deliver(frame: Frame, inference: FrameInference, images: FrameImages | undefined): Promise<PublishOutcome> {
    const streamId = frame.streamId;
    if (!this.#hub.anyWants(streamId)) {
      this.#metrics.latency(streamId, performance.now() - frame.capturedAt);
      return { status: 'no-subscribers', sent: 0, skipped: 0 };
    }
    try {
      const { payload, latencyMs } = await buildFrameMessage(frame, inference, {
        jpegQuality: this.#config.server.jpegQuality,
        topK: this.#config.model.topK,
      }, images);
      // Removed while its JPEGs were encoded: a client told the stream is gone must not see it again.
      if (!this.#streams.has(streamId)) return { status: 'no-subscribers', sent: 0, skipped: 0 };
      const { sent, skipped } = this.#hub.sendFrame(streamId, payload);
      this.#metrics.latency(streamId, latencyMs);
      this.#metrics.framesSkipped('slow_client', skipped);
      return { status: 'sent', sent, skipped };
    } catch (error) {
      this.#log.error('frame could not be encoded', { stream: streamId, seq: frame.seq, error: (error as Error).message });
      return { status: 'failed', sent: 0, skipped: 0 };
    }
  }

  #hello(client: ClientConnection): HelloMessage {
    const { rateLimit, maxPayloadBytes } = this.#config.server;
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      version: this.#info.version,
      labels: this.#info.labels,
      model: this.#info.model,
      streams: this.#streams.summaries(),
      subscribed: client.subscription,
      corruptions: this.#info.corruptions ?? [],
      controls: { setCorruption: this.#handlers.setCorruption !== undefined, setRegions: this.#handlers.setRegions !== undefined },
      limits: { maxPayloadBytes, messagesPerSecond: rateLimit.messagesPerSecond, burst: rateLimit.burst },
    };
  }

  #broadcastStats(): void {
    if (this.#hub.size === 0) return;
    const streams = this.#streams.statsSummaries(performance.now());
    const at = Date.now();
    for (const client of this.#hub.clients) {
      client.sendJson({ type: 'stats', at, clients: this.#hub.size, streams, skipped: client.skipped });
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    // Headers come from anyone: whatever they hold, a refusal, never an exception in this handler
    // (it would end the process).
    try {
      this.#admit(req, socket, head);
    } catch (error) {
      this.#log.warn('WebSocket upgrade failed', { error: (error as Error).message });
      rejectUpgrade(socket, 400, 'BAD_REQUEST', 'the upgrade request could not be processed');
    }
  }

  #admit(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== '/ws') return rejectUpgrade(socket, 404, 'NOT_FOUND', 'WebSocket endpoint is /ws');
    if (this.#closing) return rejectUpgrade(socket, 503, 'SHUTTING_DOWN', 'the server is shutting down');
    const { auth, allowedOrigins } = this.#config.server;
    const verdict = checkUpgrade(req, url, { token: auth.token, allowedOrigins });
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    if (!verdict.ok) {
      this.#log.warn('WebSocket refused', { remote, code: verdict.code, origin: req.headers.origin });
      return rejectUpgrade(socket, verdict.status, verdict.code, verdict.message);
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#hub.add(ws, remote));
  }
}

/**
 * What the server announces of a configured source: its id, URL and corruption setting (null when
 * clean). A list of one spec is that spec; a list of several has no one-spec setting and is left out.
 * A live source's regions ([] when none); a replayed one takes none, and one of unknown mode is not said.
 */
export function sourceDescriptor(source: Pick<SourceConfig, 'id' | 'url' | 'corrupt'> & Partial<Pick<SourceConfig, 'mode' | 'regions'>>): StreamDescriptor {
  const { id, url, corrupt = null } = source;
  const corruption = typeof corrupt === 'string' || corrupt === null ? corrupt : corrupt.length === 1 ? corrupt[0] : undefined;
  const regions = source.mode === 'live' ? { regions: source.regions ?? [] } : {};
  return corruption === undefined ? { id, url, ...regions } : { id, url, corruption, ...regions };
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: code, message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
