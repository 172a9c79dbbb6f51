/**
 * One WebSocket client: what it wants to receive, how far behind it is, whether it still answers
 * pings, and whether it is flooding us. Frames are skipped for a client whose socket still holds
 * more than `queueBytes` unsent bytes, so a slow reader costs only itself.
 */
import { WebSocket } from 'ws';
import type { ServerMessage } from './protocol.js';
import { TokenBucket } from './rate-limit.js';

export interface ClientOptions {
  queueBytes: number;
  messagesPerSecond: number;
  burst: number;
}

/** What to do with an incoming message, as far as the rate limit is concerned. */
export type Admission = 'accept' | 'refuse' | 'refuse-quietly' | 'close';

const RATE_LIMIT_REPLY_INTERVAL_MS = 1000;

export class ClientConnection {
  readonly id: number;
  readonly remote: string;
  readonly #ws: WebSocket;
  readonly #queueBytes: number;
  readonly #bucket: TokenBucket;
  readonly #burst: number;
  #subscription: '*' | Set<string> = '*';
  #paused = false;
  #skipped = 0;
  #awaitingPong = false;
  /** Messages refused in a row by the rate limit. */
  #refusedInARow = 0;
  #lastRateReplyAt = -Infinity;

  constructor(id: number, ws: WebSocket, remote: string, options: ClientOptions) {
    this.id = id;
    this.remote = remote;
    this.#ws = ws;
    this.#queueBytes = options.queueBytes;
    this.#burst = options.burst;
    this.#bucket = new TokenBucket({ perSecond: options.messagesPerSecond, burst: options.burst });
    ws.on('pong', () => {
      this.#awaitingPong = false;
    });
  }

  get isOpen(): boolean {
    return this.#ws.readyState === WebSocket.OPEN;
  }

  /** Frames skipped so far because this client could not keep up. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Bytes queued on this client's socket and not yet written to the network. */
  get bufferedBytes(): number {
    return this.#ws.bufferedAmount;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get subscription(): '*' | string[] {
    return this.#subscription === '*' ? '*' : [...this.#subscription];
  }

  subscribe(streams: '*' | readonly string[]): void {
    this.#subscription = streams === '*' ? '*' : new Set(streams);
  }

  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  wantsFrame(streamId: string): boolean {
    if (this.#paused || !this.isOpen) return false;
    return this.#subscription === '*' || this.#subscription.has(streamId);
  }

  /**
   * Sends a frame unless the socket is backed up; false means skipped (and counted). A socket with
   * nothing pending always takes the frame, however large: memory stays under queueBytes + one frame.
   */
  sendFrame(message: Buffer): boolean {
    const pending = this.#ws.bufferedAmount;
    if (pending > 0 && pending + message.byteLength > this.#queueBytes) {
      this.#skipped++;
      return false;
    }
    this.#ws.send(message, { binary: true });
    return true;
  }

  /** Control messages are small and rare: always sent (a client too far behind is dropped by the heartbeat). */
  sendJson(message: ServerMessage): void {
    if (this.isOpen) this.#ws.send(JSON.stringify(message));
  }

  /**
   * Rate limit. Over the limit a message is refused, with an error reply at most once a second;
   * a client that goes on sending (a whole burst refused in a row) is closed with 1008.
   */
  admit(now: number = performance.now()): Admission {
    if (this.#bucket.take()) {
      this.#refusedInARow = 0;
      return 'accept';
    }
    this.#refusedInARow++;
    if (this.#refusedInARow > this.#burst) return 'close';
    if (now - this.#lastRateReplyAt < RATE_LIMIT_REPLY_INTERVAL_MS) return 'refuse-quietly';
    this.#lastRateReplyAt = now;
    return 'refuse';
  }

  /** One heartbeat tick: false (and the socket terminated) when the last ping went unanswered. */
  heartbeat(): boolean {
    if (this.#awaitingPong) {
      this.#ws.terminate();
      return false;
    }
    if (!this.isOpen) return true;
    this.#awaitingPong = true;
    this.#ws.ping();
    return true;
  }

  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
}
