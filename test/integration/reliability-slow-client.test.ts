/**
 * A client that never reads, next to two that do, while ~100 MB of frames are published: the
 * never-reader's server-side queue stays under clientQueueBytes plus one frame, the server's
 * memory does not grow with what it could not send, and the readers get every frame in time.
 * (server-pipeline.test.ts checks the skip logic itself; this checks the memory and the others.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settledMemory, startTestServer, syntheticFrame, syntheticInference } from '../helpers/reliability-server.js';
import { RecordingClient } from '../helpers/reliability-ws.js';

const MiB = 1024 * 1024;
const QUEUE_BYTES = 1 * MiB;
const FRAMES = 200;

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))]!;
}

describe('a client that never reads', { timeout: 120_000 }, () => {
  it('stays bounded server-side while the readers keep getting every frame', async (t) => {
    const ctx = await startTestServer({ clientQueueBytes: QUEUE_BYTES, jpegQuality: 90 });
    const readers = [await RecordingClient.connect(ctx.wsUrl), await RecordingClient.connect(ctx.wsUrl)];
    const stalled = await RecordingClient.connect(ctx.wsUrl);
    try {
      // The stalled client stops reading its socket: the kernel buffers fill, then the server's.
      (stalled.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const stalledId = Math.max(...ctx.server.clients().map((c) => c.id));
      const before = await settledMemory();

      let published = 0;
      let largest = 0;
      let maxQueued = 0;
      let skipped = 0;
      const base = syntheticFrame('cam', 0, { width: 640, height: 480, noise: true });
      for (let seq = 0; seq < FRAMES; seq++) {
        const outcome = await ctx.server.publishFrame({ ...base, seq, capturedAt: performance.now() }, syntheticInference());
        assert.equal(outcome.status, 'sent');
        skipped += outcome.skipped;
        await Promise.all(readers.map((r) => r.waitFor(() => r.frames.length > seq, `frame ${seq}`, 10_000)));
        const frameBytes = readers[0]!.frames.at(-1)!;
        largest = Math.max(largest, frameBytes.images.source.length + frameBytes.images.edited!.length + 4096);
        published += frameBytes.images.source.length;
        maxQueued = Math.max(maxQueued, ctx.server.clients().find((c) => c.id === stalledId)!.bufferedBytes);
      }
      const after = await settledMemory();

      const latencies = readers.flatMap((r) => r.frames.map((f) => f.receivedAt - f.capturedAt));
      const report = {
        publishedMiB: +(published / MiB).toFixed(1),
        stalledMaxQueuedKiB: Math.round(maxQueued / 1024),
        stalledSkipped: skipped,
        heapGrowthMiB: +((after.heapUsed - before.heapUsed) / MiB).toFixed(1),
        buffersGrowthMiB: +((after.arrayBuffers - before.arrayBuffers) / MiB).toFixed(1),
        rssGrowthMiB: +((after.rss - before.rss) / MiB).toFixed(1),
        readersP95LatencyMs: Math.round(p95(latencies)),
      };
      t.diagnostic(`slow client: ${JSON.stringify(report)}`);

      assert.ok(published > 40 * MiB, `enough was published to show a leak (${report.publishedMiB} MiB)`);
      assert.ok(maxQueued <= QUEUE_BYTES + largest, `stalled queue ${maxQueued} <= ${QUEUE_BYTES} + one frame (${largest})`);
      assert.ok(skipped >= FRAMES / 2, `the stalled client skipped most frames (${skipped})`);
      for (const reader of readers) {
        assert.deepEqual(reader.frames.map((f) => f.seq), Array.from({ length: FRAMES }, (_, i) => i), 'each reader got every frame, in order');
      }
      // Generous bounds: what could not be sent must not pile up in this process.
      assert.ok(report.heapGrowthMiB + report.buffersGrowthMiB < 24, `memory growth ${JSON.stringify(report)}`);
      assert.ok(report.readersP95LatencyMs < 2000, `readers' p95 latency ${report.readersP95LatencyMs} ms`);
    } finally {
      for (const reader of readers) reader.close();
      stalled.ws.terminate();
      await ctx.server.close();
    }
  });
});
