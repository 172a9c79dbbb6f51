/**
 * The published Decorruptor-CM geometry end to end (test/fixtures/model/official, written by
 * training/fixtures/make_official_fixture.py: 256x256 VAE with factor 8, a 4x32x32 latent scaled by
 * 0.18215, an 8-channel unet with the instruction embedding baked in, 4 LCM steps at 999, 759,
 * 499, 259; a 224x224 classifier with 1000 classes), random small weights: serve sends edited
 * frames of a camera-sized source to a ws client, and run labels every frame of a clip, in order.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import type { FrameInference } from '../../src/model/index.js';
import { startReplay, startServe } from '../../src/runtime/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';
import { waitFor } from '../helpers/wait.js';

const OFFICIAL = fileURLToPath(new URL('../fixtures/model/official', import.meta.url));
const model = { bundle: OFFICIAL, editor: 'cm', intraOpThreads: 1, providers: ['cpu' as const] };

test('serve with the official-geometry bundle: 4 LCM steps at 999/759/499/259, 256x256 edits on /ws', async () => {
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      server: { port: 0 },
      model,
      sources: [{ id: 'cam', url: 'lavfi:testsrc2=size=320x240:rate=5', width: 320, height: 240, corrupt: 'gaussian_noise:3' }],
    },
  });
  const seen: FrameInference[] = [];
  const probe: FrameSink = { name: 'probe', frame: (_frame, inference) => void seen.push(inference) };
  const serving = await startServe(config, { log: silentLogger, extraSinks: [probe] });
  let ws: WebSocket | undefined;
  try {
    let hello: { model?: { steps?: number; timesteps?: number[]; editSize?: unknown; inputSize?: unknown } } | undefined;
    const binary: Buffer[] = [];
    ws = new WebSocket(`${serving.url.replace(/^http/, 'ws')}ws`);
    ws.on('message', (data, isBinary) => {
      if (isBinary) binary.push(data as Buffer);
      else if (JSON.parse(String(data)).type === 'hello') hello = JSON.parse(String(data));
    });
    await waitFor(() => binary.length >= 2 && seen.length >= 2, { what: 'two edited frames on /ws', timeoutMs: 60_000 });
    assert.equal(hello?.model?.steps, 4);
    assert.deepEqual(hello?.model?.timesteps, [999, 759, 499, 259]);
    const inference = seen[0]!;
    assert.deepEqual([inference.editedImage?.width, inference.editedImage?.height], [256, 256]);
    assert.equal(inference.editedImage?.data.length, 256 * 256 * 3);
    assert.match(inference.ensemble.label, /^class-\d{3}$/);
    assert.ok(inference.timings.unetMs > 0 && inference.timings.decodeMs > 0);
  } finally {
    ws?.close();
    await serving.stop();
  }
  await serving.done;
});

test('run with the official-geometry bundle: every frame of a 320x240 clip, in order', async (t) => {
  const dir = await tempDir(t, 'official-replay-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 12, width: 320, height: 240, fps: 12 });
  const out = join(dir, 'labels.jsonl');
  const config = await loadConfig({
    file: undefined,
    overrides: { logLevel: 'silent', model, batching: { maxBatch: 4 }, sources: [{ id: 'clip', url: clip, width: 320, height: 240 }], sinks: { jsonl: { path: out } } },
  });
  const replaying = await startReplay(config, { log: silentLogger });
  const result = await replaying.done;
  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; label: string; edited: unknown });
  assert.deepEqual(lines.map((l) => l.seq), [...Array(12).keys()]);
  assert.ok(lines.every((l) => /^class-\d{3}$/.test(l.label) && l.edited !== null), 'every frame labelled, with an edited prediction');
  assert.equal(result.summary.frames, 12);
});
