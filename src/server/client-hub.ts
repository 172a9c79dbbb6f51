/**
 * All connected WebSocket clients: accepts them, answers their messages, fans frames and
 * control messages out, and runs the heartbeat that drops clients which stopped answering.
 */
import type { WebSocket } from 'ws';
import { ClientConnection, type ClientOptions } from './client-connection.js';
import type { ServiceMetrics } from './metrics.js';
import { type ClientErrorCode, type ClientMessage, type HelloMessage, parseClientMessage, type ServerMessage } from './protocol.js';
import { applyRegions, type RegionsRefusal } from './regions-request.js';
import type { StreamRegistry } from './stream-registry.js';
import type { Logger } from '../log/logger.js';
import type { Region } from '../config/regions.js';
import type { ServerHandlers } from './types.js';

export interface ClientHubOptions {
  client: ClientOptions;
  heartbeatMs: number;
  /** Builds the hello for a client (its subscription is part of it). */
  hello(client: ClientConnection): HelloMessage;
  streams: StreamRegistry;
  handlers: ServerHandlers;
  metrics: ServiceMetrics;
  log: Logger;
}

export interface CorruptionRefusal {
  code: Extract<ClientErrorCode, 'UNSUPPORTED' | 'UNKNOWN_STREAM' | 'REJECTED'>;
  message: string;
  /** What the handler threw (REJECTED). */
  cause?: unknown;
}

/** WebSocket close codes used by the server (1009 for oversize messages is sent by ws itself). */
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_GOING_AWAY = 1001;

export class ClientHub {
  readonly #options: ClientHubOptions;
  readonly #clients = new Set<ClientConnection>();
  readonly #sockets = new Set<WebSocket>();
  readonly #heartbeat: NodeJS.Timeout;
  #nextId = 1;

  constructor(options: ClientHubOptions) {
    this.#options = options;
    // Unref'd: the listening socket, not a timer, is what keeps the process alive.
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs).unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  get clients(): Iterable<ClientConnection> {
    return this.#clients;
  }

  add(ws: WebSocket, remote: string): ClientConnection {
    const { log, metrics } = this.#options;
    const client = new ClientConnection(this.#nextId++, ws, remote, this.#options.client);
    this.#clients.add(client);
    this.#sockets.add(ws);
    metrics.clientCount(this.#clients.size);
    log.info('client connected', { client: client.id, remote });

    // ws reports oversize messages (and then closes with 1009) and protocol errors here.
    ws.on('error', (error) => log.warn('client socket error', { client: client.id, error: error.message }));
    ws.on('message', (data, isBinary) => this.#onMessage(client, toBuffer(data), isBinary));
    ws.on('close', (code) => {
      this.#clients.delete(client);
      this.#sockets.delete(ws);
      metrics.clientCount(this.#clients.size);
      log.info('client disconnected', { client: client.id, code, skipped: client.skipped });
    });

    client.sendJson(this.#options.hello(client));
    return client;
  }

  broadcast(message: ServerMessage): void {
    for (const client of this.#clients) client.sendJson(message);
  }

  anyWants(streamId: string): boolean {
    for (const client of this.#clients) if (client.wantsFrame(streamId)) return true;
    return false;
  }

  /** Sends one encoded frame to every client that wants it and can take it. */
  sendFrame(streamId: string, message: Buffer): { sent: number; skipped: number } {
    let sent = 0;
    let skipped = 0;
    for (const client of this.#clients) {
      if (!client.wantsFrame(streamId)) continue;
      if (client.sendFrame(message)) sent++;
      else skipped++;
    }
    return { sent, skipped };
  }

  /** Closes every client (1001) and waits for them to go, terminating stragglers after `graceMs`. */
  async close(graceMs = 1000): Promise<void> {
    clearInterval(this.#heartbeat);
    const sockets = [...this.#sockets];
    const closed = sockets.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))));
    for (const client of this.#clients) client.close(CLOSE_GOING_AWAY, 'server shutting down');
    const timer = setTimeout(() => sockets.forEach((ws) => ws.terminate()), graceMs);
    await Promise.all(closed);
    clearTimeout(timer);
  }

  #beat(): void {
    for (const client of this.#clients) {
      if (!client.heartbeat()) this.#options.log.info('client missed a heartbeat; dropped', { client: client.id });
    }
  }

  #onMessage(client: ClientConnection, data: Buffer, isBinary: boolean): void {
    const admission = client.admit();
    if (admission === 'close') {
      this.#refuse(client, 'RATE_LIMITED', 'too many messages; closing');
      client.close(CLOSE_POLICY_VIOLATION, 'rate limit exceeded');
      return;
    }
    if (admission !== 'accept') {
      if (admission === 'refuse') this.#refuse(client, 'RATE_LIMITED', 'too many messages; this one was dropped');
      else this.#options.metrics.clientError('RATE_LIMITED');
      return;
    }
    const parsed = parseClientMessage(data, isBinary);
    if (!parsed.ok) {
      this.#refuse(client, parsed.code, parsed.message, parsed.type);
      return;
    }
    this.#handle(client, parsed.message);
  }

  #handle(client: ClientConnection, message: ClientMessage): void {
    switch (message.type) {
      case 'subscribe':
        client.subscribe(message.streams);
        client.sendJson({ type: 'subscribed', streams: client.subscription });
        return;
      case 'pause':
        client.setPaused(message.paused);
        client.sendJson({ type: 'paused', paused: message.paused });
        return;
      case 'ping':
        client.sendJson(message.id === undefined ? { type: 'pong', at: Date.now() } : { type: 'pong', id: message.id, at: Date.now() });
        return;
      case 'set-corruption':
        void this.#setCorruption(client, message.streamId, message.corruption);
        return;
      case 'set-regions':
        void this.#setRegions(client, message.streamId, message.regions);
        return;
    }
  }

  async #setRegions(client: ClientConnection, streamId: string, regions: Region[]): Promise<void> {
    const refusal = await this.applyRegions(streamId, regions);
    if (refusal) this.#refuse(client, refusal.code, refusal.message, 'set-regions');
  }

  /** Replaces a stream's regions through the pipeline's handler and tells every client; the refusal when it cannot be done. */
  applyRegions(streamId: string, regions: Region[]): Promise<RegionsRefusal | undefined> {
    return applyRegions(
      {
        handler: this.#options.handlers.setRegions,
        streams: this.#options.streams,
        broadcast: (message) => this.broadcast(message),
        announceStreams: () => {
          for (const client of this.#clients) client.sendJson(this.#options.hello(client));
        },
      },
      streamId,
      regions,
    );
  }

  async #setCorruption(client: ClientConnection, streamId: string, corruption: string | null): Promise<void> {
    const refusal = await this.applyCorruption(streamId, corruption);
    if (refusal) this.#refuse(client, refusal.code, refusal.message, 'set-corruption');
  }

  /**
   * Changes a stream's corruption through the pipeline's handler and tells every client; the
   * refusal when it cannot be done (the /ws request and the stream API both come here).
   */
  async applyCorruption(streamId: string, corruption: string | null): Promise<CorruptionRefusal | undefined> {
    const handler = this.#options.handlers.setCorruption;
    if (handler === undefined) return { code: 'UNSUPPORTED', message: 'this server does not change corruptions' };
    if (!this.#options.streams.has(streamId)) return { code: 'UNKNOWN_STREAM', message: `no stream "${streamId}"` };
    try {
      await handler(streamId, corruption);
    } catch (error) {
      return { code: 'REJECTED', message: (error as Error).message ?? String(error), cause: error };
    }
    // Clients that connect later get it in their hello; everyone's picker shows it now, not just the asker's.
    this.#options.streams.setCorruption(streamId, corruption);
    this.broadcast({ type: 'corruption', streamId, corruption });
    return undefined;
  }

  #refuse(client: ClientConnection, code: ClientErrorCode, message: string, forType?: string): void {
    this.#options.metrics.clientError(code);
    client.sendJson(forType === undefined ? { type: 'error', code, message } : { type: 'error', code, message, for: forType });
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}
