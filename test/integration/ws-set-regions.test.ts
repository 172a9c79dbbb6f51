/**
 * `set-regions` over /ws against the real serve role (in-process, a live lavfi camera and a
 * replayed clip through the fixture bundle, a token on the server): a valid list is confirmed to
 * every client and the region's frames follow; bad input, an unknown stream, a region's stream and
 * a replayed stream get their error codes; the connection carries on throughout.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startServe } from '../../src/runtime/index.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { RecordingClient, type JsonMessage } from '../helpers/reliability-ws.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';

const TOKEN = 'a-token-for-the-regions-test';
const porch = { id: 'porch', x: 0, y: 0, width: 0.5, height: 0.5 };
const door = { id: 'door', x: 0.5, y: 0.25, width: 0.5, height: 0.75 };

type Summary = { id: string; regions?: unknown[]; parent?: string; region?: string };
const streamsOf = (hello: JsonMessage) => hello.streams as Summary[];

test('set-regions: confirmed to every client, the region streams; refusals carry stable codes', async (t) => {
  const dir = await tempDir(t, 'ws-regions-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 24 });
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      server: { port: 0, auth: { token: TOKEN } },
      model: { bundle: FIXTURE_BUNDLE, editor: 'none', intraOpThreads: 1 },
      sources: [
        { id: 'cam', url: 'lavfi:testsrc2=size=64x48:rate=10', width: 64, height: 48, regions: [porch] },
        { id: 'clip', url: clip, width: 64, height: 48 },
      ],
    },
  });
  const serving = await startServe(config, { log: silentLogger });
  const wsUrl = `${serving.url.replace(/^http/, 'ws')}ws?token=${TOKEN}`;
  const asker = await RecordingClient.connect(wsUrl);
  const watcher = await RecordingClient.connect(wsUrl);
  try {
    const hello = asker.hello!;
    assert.deepEqual(hello.controls, { setCorruption: true, setRegions: true });
    const cam = streamsOf(hello).find((s) => s.id === 'cam')!;
    assert.deepEqual(cam.regions, [porch], 'hello carries the configured regions');
    assert.equal(streamsOf(hello).find((s) => s.id === 'clip')!.regions, undefined, 'a replayed stream takes none');
    await asker.moreFrames(2, 'cam.porch', 20_000);

    // Valid: every client is told, the new region's frames come, the configured one is left.
    asker.ws.send(JSON.stringify({ type: 'set-regions', streamId: 'cam', regions: [porch, door] }));
    const confirmed = await watcher.waitFor(() => watcher.messages.find((m) => m.type === 'regions'), 'the regions broadcast');
    assert.deepEqual(confirmed, { type: 'regions', streamId: 'cam', regions: [porch, door] });
    const frames = await asker.moreFrames(2, 'cam.door', 20_000);
    assert.deepEqual([frames[0]!.images.source.width, frames[0]!.images.source.height], [32, 36], 'half the width, three quarters of the height');
    const late = await RecordingClient.connect(wsUrl);
    const doorSummary = streamsOf(late.hello!).find((s) => s.id === 'cam.door');
    assert.deepEqual([doorSummary?.parent, doorSummary?.region], ['cam', 'door'], 'a later hello names the region stream');
    assert.deepEqual(streamsOf(late.hello!).find((s) => s.id === 'cam')!.regions, [porch, door]);
    late.close();

    // Refusals, each with its code, for this message type; nothing changes.
    const refusals: Array<[unknown, string, RegExp]> = [
      [{ type: 'set-regions', streamId: 'cam', regions: [{ ...door, x: 0.8 }] }, 'BAD_MESSAGE', /regions\.0\.width: x \+ width must be <= 1/],
      [{ type: 'set-regions', streamId: 'cam', regions: [porch, porch] }, 'BAD_MESSAGE', /regions\.1\.id: duplicate/],
      [{ type: 'set-regions', streamId: 'cam', regions: [{ ...door, id: 'a.b' }] }, 'BAD_MESSAGE', /regions\.0\.id/],
      [{ type: 'set-regions', streamId: 'ghost', regions: [door] }, 'UNKNOWN_STREAM', /no stream "ghost"/],
      [{ type: 'set-regions', streamId: 'cam.door', regions: [porch] }, 'REJECTED', /"cam.door" is a region of "cam"/],
      [{ type: 'set-regions', streamId: 'clip', regions: [porch] }, 'REJECTED', /replayed: regions need a live source/],
    ];
    for (const [message, code, pattern] of refusals) {
      const seen = asker.messages.length;
      asker.ws.send(JSON.stringify(message));
      const error = await asker.waitFor(() => asker.messages.slice(seen).find((m) => m.type === 'error'), `the refusal of ${JSON.stringify(message)}`);
      assert.deepEqual([error.code, error.for], [code, 'set-regions'], JSON.stringify(message));
      assert.match(String(error.message), pattern);
    }
    const afterRefusals = await RecordingClient.connect(wsUrl);
    assert.deepEqual(streamsOf(afterRefusals.hello!).find((s) => s.id === 'cam')!.regions, [porch, door], 'refusals changed nothing');
    assert.equal(streamsOf(afterRefusals.hello!).find((s) => s.id === 'clip')!.regions, undefined);
    afterRefusals.close();

    // Removed: the region stream leaves every client's stream list, the others go on.
    const beforeRemoval = watcher.messages.length;
    let framesBeforeRehello = 0; // counted as the hello arrives: frames and messages are recorded apart
    asker.ws.send(JSON.stringify({ type: 'set-regions', streamId: 'cam', regions: [door] }));
    const rehello = await watcher.waitFor(() => {
      const found = watcher.messages.slice(beforeRemoval).find((m) => m.type === 'hello' && !streamsOf(m).some((s) => s.id === 'cam.porch'));
      framesBeforeRehello = watcher.frames.length;
      return found;
    }, 'a hello without cam.porch');
    assert.ok(streamsOf(rehello).some((s) => s.id === 'cam.door'));
    await asker.moreFrames(2, 'cam.door');
    await asker.moreFrames(2, 'cam');
    await watcher.moreFrames(2, 'cam');
    const afterGone = watcher.frames.slice(framesBeforeRehello).filter((f) => f.streamId === 'cam.porch');
    assert.deepEqual(afterGone.map((f) => f.seq), [], 'no frame of the removed region once the clients were told it is gone');
    const stale = await RecordingClient.connect(wsUrl);
    assert.ok(!streamsOf(stale.hello!).some((s) => s.id === 'cam.porch'), 'a last frame of the removed region did not bring it back');
    stale.close();
    asker.ws.send(JSON.stringify({ type: 'ping', id: 'still-here' }));
    await asker.waitFor(() => asker.messages.find((m) => m.type === 'pong' && m.id === 'still-here'), 'the pong: the connection carried on');
  } finally {
    asker.close();
    watcher.close();
    await serving.stop();
  }
});
