/**
 * Regions of interest in a running flow, on a real lavfi source through the fixture bundle: each
 * region is a stream of its own beside the full frame (its own gate, motion gating, smoothing),
 * cut from the same decoded frames; regions are added, moved and removed while the flow runs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfiguredStream, FrameFlow, RegionControls, StreamRegions } from '../../src/flow/index.js';
import type { FlowSource } from '../../src/flow/frame-flow.js';
import { cropFrame } from '../../src/flow/regions/index.js';
import { silentLogger } from '../../src/log/index.js';
import { InferenceEngine, type FrameInference } from '../../src/model/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import type { Frame } from '../../src/stream/index.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { waitFor } from '../helpers/wait.js';

/** 64x32: a still grey left half, a noisy moving right half. */
const HALVES = 'lavfi:color=c=0x607080:s=64x32:r=20[bg];testsrc2=size=32x32:rate=20,noise=alls=100:allf=t[m];[bg][m]overlay=x=32:shortest=1';
const left = { id: 'left', x: 0, y: 0, width: 0.5, height: 1 };
const right = { id: 'right', x: 0.5, y: 0, width: 0.5, height: 1 };

const cam = (regions: (typeof left)[] = []) =>
  ConfiguredStream.create({
    id: 'cam',
    url: HALVES,
    mode: 'live',
    realtime: true,
    width: 64,
    height: 32,
    fit: 'crop',
    stallTimeoutMs: 10_000,
    restart: { maxAttempts: null, initialDelayMs: 500, maxDelayMs: 30_000 },
    regions,
  });

function recordingSink(): FrameSink & { got: Map<string, Array<{ frame: Frame; inference: FrameInference }>>; count(id: string): number } {
  const got = new Map<string, Array<{ frame: Frame; inference: FrameInference }>>();
  return {
    name: 'record',
    got,
    count: (id) => got.get(id)?.length ?? 0,
    frame: (frame, inference) => {
      const list = got.get(frame.streamId) ?? [];
      list.push({ frame, inference });
      got.set(frame.streamId, list);
    },
  };
}

test('a region is a stream of its own: its frames are the crop of the same decoded frames, gated and smoothed on their own', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 });
  const sink = recordingSink();
  const stream = await cam([left, right]);
  const flow = FrameFlow.start({
    streams: [stream],
    engine,
    maxBatch: 4,
    maxWaitMs: 5,
    motionGate: { threshold: 0.01, maxAgeMs: 1000 },
    smoothing: { mode: 'ema', halfLifeMs: 500, window: 1, margin: 0.1, sceneCut: 0 },
    sinks: [sink],
    log: silentLogger,
  });
  const regions = new RegionControls();
  try {
    await regions.attach(stream, flow);
    assert.deepEqual(flow.streamIds.sort(), ['cam', 'cam.left', 'cam.right']);
    await waitFor(() => ['cam', 'cam.left', 'cam.right'].every((id) => sink.count(id) >= 30), { what: '30 frames of the full frame and of each region', timeoutMs: 30_000 });
  } finally {
    await flow.stop();
    await engine.close();
  }
  // The same decoded frames: where the full frame and a region both have a seq, the region is its crop.
  const full = new Map(sink.got.get('cam')!.map(({ frame }) => [frame.seq, frame]));
  let compared = 0;
  for (const region of [left, right]) {
    for (const { frame } of sink.got.get(`cam.${region.id}`)!) {
      assert.deepEqual([frame.width, frame.height], [32, 32]);
      const parent = full.get(frame.seq);
      if (parent === undefined) continue; // dropped (newest only) on the full frame's side
      assert.deepEqual(frame.data, cropFrame(parent, frame.streamId, region).data, `cam.${region.id} #${frame.seq}`);
      compared++;
    }
  }
  assert.ok(compared >= 20, `only ${compared} frames could be compared`);
  // Motion gating per stream: the still half reuses results, the moving half never does.
  const reused = (id: string) => sink.got.get(id)!.filter(({ inference }) => inference.reused).length;
  assert.ok(reused('cam.left') >= sink.count('cam.left') - 6, `the still region was inferred ${sink.count('cam.left') - reused('cam.left')} times in ${sink.count('cam.left')} frames`);
  assert.equal(reused('cam.right'), 0, 'the moving region is inferred on every frame');
  // Smoothing per stream: every stream's frames carry their own smoothed answer.
  for (const id of ['cam', 'cam.left', 'cam.right']) assert.ok(sink.got.get(id)!.every(({ inference }) => inference.smoothed !== null), `${id} is smoothed`);
  for (const list of sink.got.values()) {
    const seqs = list.map(({ frame }) => frame.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'each stream in order');
  }
});

test('regions added, moved and removed at run time; the full frame goes on throughout', async () => {
  const engine = await InferenceEngine.create({ bundleDir: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 });
  const sink = recordingSink();
  const stream = await cam();
  const flow = FrameFlow.start({ streams: [stream], engine, maxBatch: 4, maxWaitMs: 5, sinks: [sink], log: silentLogger });
  const regions = new RegionControls();
  try {
    await regions.attach(stream, flow);
    await waitFor(() => sink.count('cam') >= 3, { what: 'frames of the full frame' });
    assert.deepEqual(flow.streamIds, ['cam']);

    await regions.set('cam', [left]);
    await waitFor(() => sink.count('cam.left') >= 3, { what: 'frames of the added region' });
    assert.ok(sink.got.get('cam.left')!.every(({ frame }) => frame.width === 32 && frame.height === 32), 'half of 64x32');

    // Moved: the same stream goes on with the new rectangle, marked discontinuous once.
    const before = sink.count('cam.left');
    await regions.set('cam', [{ ...left, width: 0.25, height: 0.5 }]);
    const moved = await waitFor(() => sink.got.get('cam.left')!.slice(before).find(({ frame }) => frame.width === 16)?.frame, { what: 'a frame of the moved region' });
    assert.equal(moved.height, 16);
    assert.equal(moved.discontinuity, true, 'the first frame of the moved region starts afresh');

    // Refusals change nothing: a region's stream, an unknown stream.
    await assert.rejects(regions.set('cam.left', [right]), /"cam.left" is a region of "cam"/);
    await assert.rejects(regions.set('ghost', [right]), /stream "ghost" is not running/);
    const replayed = new StreamRegions({ id: 'clip', mode: 'replay', frames$: stream.source.frames$, states$: stream.source.states$, start() {}, release() {}, stop: async () => {} } satisfies FlowSource, flow);
    await assert.rejects(replayed.set([right]), /"clip" is replayed: regions need a live source/);
    assert.deepEqual(flow.streamIds, ['cam', 'cam.left'], 'nothing was added');

    await regions.set('cam', []);
    await waitFor(() => !flow.streamIds.includes('cam.left'), { what: 'the removed region to leave the flow' });
    assert.deepEqual(regions.regions('cam'), []);
    const fullBefore = sink.count('cam');
    await waitFor(() => sink.count('cam') >= fullBefore + 3, { what: 'the full frame to go on' });
  } finally {
    await flow.stop();
    await engine.close();
  }
});
