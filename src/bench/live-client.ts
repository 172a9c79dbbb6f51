/**
 * The live scenario's viewer: a WebSocket client on serve's /ws that decodes each frame message's
 * header and notes when it arrived. Capture-to-receive latency is measured here:
 * receive time (this process) minus the header's `capturedAt` (epoch ms of the moment serve read
 * the frame off ffmpeg). Both are wall-clock readings on the same machine, so no clock sync is
 * needed; the header's capturedAt is rounded to the millisecond, which bounds the error.
 */
import { WebSocket } from 'ws';
import { decodeFrameMessage } from '../server/protocol.js';

export interface ReceivedFrame {
  streamId: string;
  /** performance.now() of this process at arrival. */
  receivedAt: number;
  /** Capture on the server to arrival here. */
  captureToReceiveMs: number;
  /** Capture to hand-over to the sockets, as serve reports it (header.latencyMs). */
  captureToSendMs: number;
  /** The batch's wait in the inference worker's queue. */
  inferenceQueueMs: number;
  /** The batch's time in the worker: sent to the worker -> result (queue included). */
  inferenceTotalMs: number;
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export class FrameCollector {
  readonly frames: ReceivedFrame[] = [];
  readonly #ws: WebSocket;
  #errors = 0;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const receivedEpoch = epochNow();
      const receivedAt = performance.now();
      try {
        const { header } = decodeFrameMessage(data);
        this.frames.push({
          streamId: header.streamId,
          receivedAt,
          captureToReceiveMs: Math.max(0, receivedEpoch - header.capturedAt),
          captureToSendMs: header.latencyMs,
          inferenceQueueMs: header.timings.queueMs,
          inferenceTotalMs: header.timings.totalMs,
        });
      } catch {
        this.#errors += 1;
      }
    });
  }

  /** Connects (no per-message deflate, as a browser on a JPEG stream would negotiate it away). */
  static connect(url: string, timeoutMs = 10_000): Promise<FrameCollector> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket ${url} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new FrameCollector(ws));
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Frame messages that could not be decoded. */
  get decodeErrors(): number {
    return this.#errors;
  }

  /** Frames that arrived within [from, to] (performance.now() of this process). */
  between(from: number, to: number): ReceivedFrame[] {
    return this.frames.filter((f) => f.receivedAt >= from && f.receivedAt <= to);
  }

  close(): void {
    this.#ws.close();
  }
}
