/**
 * FrameFlow with streams that come and go while it runs (the stream API's and the broker
 * worker's need): an added stream is batched beside the others, a removed one stops its ffmpeg and
 * the flow goes on; with endWhenAllEnded (the default) the last stream's end ends the flow.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfiguredStream, FrameFlow } from '../../src/flow/index.js';
import { silentLogger } from '../../src/log/index.js';
import { InferenceEngine } from '../../src/model/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { isAlive } from '../helpers/stream-ffmpeg.js';
import { waitFor } from '../helpers/wait.js';

const lavfiConfig = async (id: string) => ({
  id,
  url: 'lavfi:testsrc2=size=32x32:rate=20',
  mode: 'live' as const,
  realtime: true,
  width: 32,
  height: 32,
  fit: 'crop' as const,
  stallTimeoutMs: 10_000,
  restart: { maxAttempts: null, initialDelayMs: 500, maxDelayMs: 30_000 },
});
const lavfi = async (id: string) => ConfiguredStream.create(await lavfiConfig(id));

function countingSink(): FrameSink & { perStream: Map<string, number> } {
  const perStream = new Map<string, number>();
  return { name: 'count', perStream, frame: (frame) => perStream.set(frame.streamId, (perStream.get(frame.streamId) ?? 0) + 1) };
}

test('streams added and removed at run time; the flow outlives them until stop()', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'cm', intraOpThreads: 1 });
  const sink = countingSink();
  const flow = FrameFlow.start({ streams: [], endWhenAllEnded: false, engine, maxBatch: 4, maxWaitMs: 5, sinks: [sink], log: silentLogger });
  try {
    const first = await lavfi('one');
    flow.add(first);
    await waitFor(() => (sink.perStream.get('one') ?? 0) >= 3, { what: 'frames of the added stream' });
    assert.throws(() => flow.add(first), /already running/);

    flow.add(await lavfi('two'));
    await waitFor(() => (sink.perStream.get('two') ?? 0) >= 3, { what: 'frames of the second stream' });

    const pid = first.source.pid;
    await flow.remove('one');
    assert.ok(pid !== undefined && !isAlive(pid), 'the removed stream ffmpeg has exited');
    await waitFor(() => !flow.streamIds.includes('one'), { what: 'stream one to leave the flow' });
    const twoBefore = sink.perStream.get('two')!;
    await waitFor(() => sink.perStream.get('two')! >= twoBefore + 3, { what: 'the other stream to keep going' });

    await flow.remove('two');
    await waitFor(() => flow.streamIds.length === 0, { what: 'no stream left' });
    let ended = false;
    void flow.done.then(() => (ended = true));
    flow.add(await lavfi('three'));
    await waitFor(() => (sink.perStream.get('three') ?? 0) >= 2, { what: 'a stream added after all others left' });
    assert.equal(ended, false, 'with endWhenAllEnded false an empty flow keeps running');
  } finally {
    await flow.stop();
    await engine.close();
  }
  await flow.done;
  assert.throws(() => flow.add({ source: { id: 'late' } as never }), /has ended/);
});

test('by default the flow ends when its last stream ends', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 });
  const sink = countingSink();
  try {
    const stream = await lavfi('only');
    const flow = FrameFlow.start({ streams: [stream], engine, maxBatch: 4, maxWaitMs: 5, sinks: [sink], log: silentLogger });
    await waitFor(() => (sink.perStream.get('only') ?? 0) >= 2, { what: 'frames' });
    await flow.remove('only');
    await flow.done; // resolves by itself: nothing is left to run
    assert.deepEqual(flow.streamIds, []);
  } finally {
    await engine.close();
  }
});

test('motion gating: a still camera is inferred about once per maxAgeMs, a moving one on every frame; each stream stays in order', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'cm', intraOpThreads: 1 });
  const seen = new Map<string, { seqs: number[]; reused: number }>();
  const sink: FrameSink = {
    name: 'gating',
    frame: (frame, inference) => {
      const entry = seen.get(frame.streamId) ?? { seqs: [], reused: 0 };
      entry.seqs.push(frame.seq);
      if (inference.reused) entry.reused += 1;
      seen.set(frame.streamId, entry);
    },
  };
  const still = await ConfiguredStream.create({ ...(await lavfiConfig('still')), url: 'lavfi:color=c=0x607080:s=32x32:r=20' });
  // Strong temporal noise: every frame differs from the last inferred one by far more than the threshold.
  const moving = await ConfiguredStream.create({ ...(await lavfiConfig('moving')), url: 'lavfi:testsrc2=size=32x32:rate=20,noise=alls=100:allf=t' });
  const flow = FrameFlow.start({ streams: [still, moving], engine, maxBatch: 4, maxWaitMs: 5, motionGate: { threshold: 0.01, maxAgeMs: 1000 }, sinks: [sink], log: silentLogger });
  try {
    await waitFor(() => (seen.get('still')?.seqs.length ?? 0) >= 40 && (seen.get('moving')?.seqs.length ?? 0) >= 20, { what: '2 s of both streams', timeoutMs: 30_000 });
  } finally {
    await flow.stop();
    await engine.close();
  }
  const stillFrames = seen.get('still')!;
  const movingFrames = seen.get('moving')!;
  const inferredStill = stillFrames.seqs.length - stillFrames.reused;
  // 40+ frames in 2+ s with a 1 s maxAge: the first frame, one refresh a second, and at most a few more.
  assert.ok(inferredStill <= 5, `the still stream was inferred ${inferredStill} times in ${stillFrames.seqs.length} frames`);
  assert.equal(movingFrames.reused, 0, 'a noisy picture changes on every frame');
  for (const { seqs } of seen.values()) assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'frames of a stream reach the sinks in order');
});

test('an asynchronous transform (jpeg_compression, libjpeg off the event loop): every frame corrupted, in order, the still ones too', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 });
  const seen = new Map<string, { seqs: number[]; corruptions: Set<string | undefined>; reused: number }>();
  const sink: FrameSink = {
    name: 'jpeg',
    frame: (frame, inference) => {
      const entry = seen.get(frame.streamId) ?? { seqs: [], corruptions: new Set(), reused: 0 };
      entry.seqs.push(frame.seq);
      entry.corruptions.add(frame.meta?.corruption);
      if (inference.reused) entry.reused += 1;
      seen.set(frame.streamId, entry);
    },
  };
  const corrupt = 'jpeg_compression:5';
  // A replayed clip (every frame, in order, done only once all reached the sinks), a still camera
  // (most frames reuse a result and are corrupted on their way to the sinks alone) and a moving one.
  const replay = await ConfiguredStream.create({ ...(await lavfiConfig('replay')), url: 'lavfi:testsrc2=size=32x32:rate=20:duration=1', mode: 'replay', realtime: false, corrupt });
  const still = await ConfiguredStream.create({ ...(await lavfiConfig('still')), url: 'lavfi:color=c=0x607080:s=32x32:r=20', corrupt });
  const moving = await ConfiguredStream.create({ ...(await lavfiConfig('moving')), url: 'lavfi:testsrc2=size=32x32:rate=20,noise=alls=100:allf=t', corrupt });
  const flow = FrameFlow.start({ streams: [replay, still, moving], engine, maxBatch: 4, maxWaitMs: 5, motionGate: { threshold: 0.01, maxAgeMs: 1000 }, sinks: [sink], log: silentLogger });
  try {
    await waitFor(() => (seen.get('replay')?.seqs.length ?? 0) === 20 && (seen.get('still')?.reused ?? 0) >= 10 && (seen.get('moving')?.seqs.length ?? 0) >= 10, { what: 'the clip and both cameras', timeoutMs: 30_000 });
  } finally {
    await flow.stop();
    await engine.close();
  }
  assert.deepEqual(seen.get('replay')!.seqs, Array.from({ length: 20 }, (_, i) => i), 'the replayed clip: every frame, in order');
  for (const [id, { seqs, corruptions }] of seen) {
    assert.deepEqual([...corruptions], [corrupt], `${id}: every frame went through the corruption`);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${id}: frames reach the sinks in order`);
  }
});
