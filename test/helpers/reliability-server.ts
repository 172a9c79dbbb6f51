/** An in-process DashboardServer with synthetic frames, for the server and WebSocket reliability tests. */
import { randomFillSync } from 'node:crypto';
import { type ConfigOverrides, loadConfig } from '../../src/config/load.js';
import type { FrameInference, Prediction } from '../../src/model/types.js';
import { DashboardServer, type DashboardServerOptions } from '../../src/server/dashboard-server.js';
import type { Frame, FrameMeta } from '../../src/stream/frame.js';

export const LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

export interface TestServer {
  server: DashboardServer;
  port: number;
  httpUrl: string;
  wsUrl: string;
}

export interface TestServerOptions extends Partial<DashboardServerOptions> {
  /** config.sources; default: a `cam` RTSP source and a `file` clip. */
  sources?: NonNullable<ConfigOverrides['sources']>;
  /** Mark the model as loaded once listening; default true. */
  modelReady?: boolean;
}

/**
 * Starts a server on a free loopback port; `server` overrides config.server (heartbeat and stats slow by default),
 * `options` the sources, readiness and DashboardServer options (`info`, `handlers`, `defaultMetrics`...).
 */
export async function startTestServer(server: Record<string, unknown> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const {
    sources = [
      { id: 'cam', url: 'rtsp://127.0.0.1:1/live' },
      { id: 'file', url: 'clips/a.mp4' },
    ],
    modelReady = true,
    ...serverOptions
  } = options;
  const config = await loadConfig({
    file: null,
    env: {},
    overrides: {
      server: { port: 0, heartbeatMs: 60_000, statsIntervalMs: 60_000, ...server },
      model: { topK: 2 },
      sources,
    },
  });
  const pipelineServer = await DashboardServer.create({
    config,
    info: { version: '0.0.0-test', labels: LABELS, model: { name: 'synthetic' } },
    defaultMetrics: false,
    ...serverOptions,
  });
  const { port } = await pipelineServer.listen();
  if (modelReady) pipelineServer.setModelReady(true);
  return { server: pipelineServer, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws` };
}

function prediction(index: number, confidence: number): Prediction {
  const rest = (1 - confidence) / (LABELS.length - 1);
  const topk = LABELS.map((label, i) => ({ label, index: i, probability: i === index ? confidence : rest })).sort((a, b) => b.probability - a.probability);
  return { label: LABELS[index]!, index, confidence, topk };
}

export interface SyntheticFrameOptions {
  width?: number;
  height?: number;
  /** Random pixels: incompressible (large JPEGs). */
  noise?: boolean;
  /** How long ago the frame was captured: capturedAt is performance.now() minus this; default 0. */
  ageMs?: number;
  /** Ground truth and corruption facts; default: none. */
  meta?: FrameMeta;
}

/** A frame of `streamId` (64x48 by default). */
export function syntheticFrame(streamId: string, seq: number, { width = 64, height = 48, noise = false, ageMs = 0, meta }: SyntheticFrameOptions = {}): Frame {
  const data = new Uint8Array(width * height * 3);
  if (noise) randomFillSync(data);
  else for (let i = 0; i < data.length; i++) data[i] = (i * 7 + seq) & 0xff;
  const frame: Frame = { streamId, seq, ptsMs: seq * 100, capturedAt: performance.now() - ageMs, width, height, data, discontinuity: seq === 0 };
  if (meta !== undefined) frame.meta = meta;
  return frame;
}

/** An inference (source dog, edited and ensemble cat) as if made in a batch of `batchSize` frames. */
export function syntheticInference(batchSize = 1): FrameInference {
  return {
    source: prediction(5, 0.6),
    edited: prediction(3, 0.8),
    ensemble: prediction(3, 0.7),
    distribution: Float32Array.from({ length: 10 }, (_, i) => (i === 3 ? 0.7 : 0.3 / 9)),
    gate: null,
    editedImage: { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(128) },
    timings: { queueMs: 1, preprocessMs: 1, classifyMs: 2, gateMs: 0, encodeMs: 3, unetMs: 10, decodeMs: 3, ensembleMs: 0.1, totalMs: 20, batchSize },
  };
}

/** Heap and off-heap (Buffer) bytes after a full GC, when the runtime lets us ask for one. */
export async function settledMemory(): Promise<{ heapUsed: number; arrayBuffers: number; rss: number }> {
  const gc = await collector();
  for (let i = 0; i < 2; i++) {
    gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, arrayBuffers, rss } = process.memoryUsage();
  return { heapUsed, arrayBuffers, rss };
}

let cachedGc: (() => void) | undefined | null = null;
async function collector(): Promise<(() => void) | undefined> {
  if (cachedGc !== null) return cachedGc;
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  cachedGc = runInNewContext('gc') as (() => void) | undefined;
  return cachedGc;
}
