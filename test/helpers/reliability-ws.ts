/** A WebSocket client for the reliability tests: records JSON messages and frame headers as they come. */
import { WebSocket, type ClientOptions } from 'ws';
import { decodeFrameMessage, type FrameHeader } from '../../src/server/protocol.js';
import { type Check, waitOn } from './wait.js';

export type JsonMessage = Record<string, unknown> & { type: string };

export class RecordingClient {
  readonly ws: WebSocket;
  readonly messages: JsonMessage[] = [];
  readonly frames: (FrameHeader & { receivedAt: number })[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, options?: ClientOptions) {
    this.ws = new WebSocket(url, options);
    this.ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.frames.push({ ...decodeFrameMessage(data).header, receivedAt: Date.now() });
      else this.messages.push(JSON.parse(data.toString()) as JsonMessage);
    });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Connects and waits for the first message (the hello). */
  static async connect(url: string, options?: ClientOptions): Promise<RecordingClient> {
    const client = new RecordingClient(url, options);
    await client.opened;
    await client.waitFor(() => client.messages.find((m) => m.type === 'hello'), 'hello');
    return client;
  }

  get hello(): JsonMessage | undefined {
    return this.messages.find((m) => m.type === 'hello');
  }

  /** Resolves with the first accepted value of `check`, re-checked on every message. */
  waitFor<T>(check: Check<T>, what: string, timeoutMs = 15_000): Promise<T> {
    return waitOn(check, [[this.ws, 'message']], { what, timeoutMs });
  }

  /** Waits until `count` more frames of `streamId` (any stream when omitted) than now have arrived. */
  async moreFrames(count: number, streamId?: string, timeoutMs?: number): Promise<FrameHeader[]> {
    const matching = () => this.frames.filter((f) => streamId === undefined || f.streamId === streamId);
    const start = matching().length;
    return this.waitFor(() => (matching().length >= start + count ? matching().slice(start) : undefined), `${count} frames of ${streamId ?? 'any stream'}`, timeoutMs);
  }

  /** The state messages about one stream, oldest first. */
  states(streamId: string): JsonMessage[] {
    return this.messages.filter((m) => m.type === 'state' && m.streamId === streamId);
  }

  close(): void {
    this.ws.close();
  }
}

/** 101 when the upgrade is accepted, else the HTTP status of the refusal (0: no answer at all). */
export function upgradeStatus(url: string, options?: ClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, options);
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(0)); // also after terminate(), when a refusal has settled it already
  });
}
