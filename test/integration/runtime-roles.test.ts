/**
 * The roles started in-process from a Config object, the way the CLI starts them: serve answers on
 * a free port and sends labeled frames of a lavfi source to a ws client and to every extra sink;
 * replay writes one JSONL line per frame through the configured sink; stop() is the one way out.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import type { FrameInference } from '../../src/model/index.js';
import { openEngine, startReplay, startServe } from '../../src/runtime/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import type { Frame } from '../../src/stream/index.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

/** A sink that records what reaches it; `throwing` makes every frame() throw (isolation check). */
function probeSink(name: string, throwing = false): FrameSink & { frames: Array<{ frame: Frame; inference: FrameInference }> } {
  const frames: Array<{ frame: Frame; inference: FrameInference }> = [];
  return {
    name,
    frames,
    frame(frame, inference) {
      frames.push({ frame, inference });
      if (throwing) throw new Error(`${name} always fails`);
    },
  };
}

test('startServe: a ws client and every extra sink get labeled frames, even when one sink throws; stop() closes the port', async () => {
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      server: { port: 0 },
      model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
      sources: [{ id: 'cam', url: 'lavfi:testsrc2=size=64x48:rate=10', width: 64, height: 48 }],
    },
  });
  const failing = probeSink('failing', true);
  const healthy = probeSink('healthy');
  const serving = await startServe(config, { log: silentLogger, extraSinks: [failing, healthy] });
  let ws: WebSocket | undefined;
  try {
    const binaryFrames: Buffer[] = [];
    ws = new WebSocket(`${serving.url.replace(/^http/, 'ws')}ws`);
    ws.on('message', (data, isBinary) => {
      if (isBinary) binaryFrames.push(data as Buffer);
    });
    await waitFor(() => binaryFrames.length >= 2 && healthy.frames.length >= 3, { what: 'two frames on /ws and three in the healthy sink' });
    assert.ok(failing.frames.length >= healthy.frames.length - 1, 'the throwing sink is still called on every frame');
    const { frame, inference } = healthy.frames[0]!;
    assert.equal(frame.streamId, 'cam');
    assert.equal(typeof inference.ensemble.label, 'string');
  } finally {
    ws?.close();
    await serving.stop();
  }
  await serving.done;
  await assert.rejects(fetch(`${serving.url}healthz`), 'the port is closed after stop()');
});

test('startReplay: every frame in order through the configured JSONL sink, and a summary', async (t) => {
  const dir = await tempDir(t, 'runtime-replay-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 30, width: 64, height: 48, fps: 25 });
  const out = join(dir, 'labels.jsonl');
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
      batching: { maxBatch: 8 },
      sources: [{ id: 'replay', url: clip }],
      sinks: { jsonl: { path: out } },
    },
  });
  let frameCount: number | undefined;
  const replaying = await startReplay(config, { log: silentLogger, onOpen: (info) => (frameCount = info.frameCount) });
  const result = await replaying.done;
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; streamId: string });
  assert.equal(frameCount, 30);
  assert.equal(lines.length, 30);
  assert.deepEqual(lines.map((l) => l.seq), [...Array(30).keys()]);
  assert.equal(result.summary.frames, 30);
  assert.equal(result.interrupted, false);
  assert.equal(result.sourceError, undefined);
});

test('startReplay: a JSONL path in a missing folder fails before the model is loaded, naming the path', async (t) => {
  const dir = await tempDir(t, 'runtime-replay-');
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      model: { bundle: join(dir, 'no-bundle-here') },
      sources: [{ id: 'replay', url: join(dir, 'clip.mp4') }],
      sinks: { jsonl: { path: join(dir, 'missing', 'labels.jsonl') } },
    },
  });
  // The bundle does not exist either: the sink's error proves the sinks are opened first.
  await assert.rejects(startReplay(config, { log: silentLogger }), /missing[/\\]labels\.jsonl/);
});

test('openEngine maps every model option of the config, the editor noise and thread count included', async () => {
  const SHIPPED = 'models/cifar10'; // pins a noise seed per editor, unlike the fixture bundle
  for (const editorNoise of ['bundle', 'per-stream'] as const) {
    const config = await loadConfig({ file: undefined, overrides: { model: { bundle: SHIPPED, editorNoise, intraOpThreads: 1, topK: 3, providers: ['cpu'] } } });
    const engine = await openEngine(config.model, silentLogger);
    try {
      assert.equal(engine.info.noise?.source, editorNoise);
      assert.equal(engine.info.topK, 3);
    } finally {
      await engine.close();
    }
  }
});
