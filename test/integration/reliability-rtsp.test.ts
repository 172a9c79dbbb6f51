/**
 * RTSP for real: a GStreamer RTSP server (tools/rtsp-server.py) that the test stops and starts
 * again, as a camera that reboots. The source must reconnect with backoff (reconnecting ->
 * running), resume with a discontinuity, and /readyz must follow the outage.
 * Skipped, with the reason, where the RTSP server's packages are not installed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Frame } from '../../src/stream/frame.js';
import { FrameSource, type SourceStateEvent } from '../../src/stream/source.js';
import { FIXTURE_BUNDLE, getJson, startServe, type ServeProcess } from '../helpers/reliability-cli.js';
import { RtspTestServer, rtspUnavailableReason } from '../helpers/reliability-rtsp.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import { sleep, waitFor } from '../helpers/wait.js';

const unavailable = await rtspUnavailableReason();
const FAST_RESTART = { initialDelayMs: 100, maxDelayMs: 400, maxAttempts: null };
const PASSWORD = 'hunter2-camera-secret';

describe('RTSP source against a real RTSP server', { skip: unavailable ?? false, timeout: 180_000 }, () => {
  // Each case stops and starts the camera: each gets one of its own.
  let rtsp: RtspTestServer;
  beforeEach(async () => {
    rtsp = await RtspTestServer.start({ codec: 'h264', size: '160x120', rate: 25 });
  });
  afterEach(() => rtsp?.stop());

  it('FrameSource: frames, then reconnecting while the server is down, then running and a discontinuity', async () => {
    const source = await FrameSource.create({ id: 'cam', url: rtsp.url, mode: 'live', width: 64, height: 48, fit: 'crop', stallTimeoutMs: 3000, restart: FAST_RESTART });
    const frames: Frame[] = [];
    const states: SourceStateEvent[] = [];
    source.frames$.subscribe({ next: (frame) => frames.push(frame), error: () => {} });
    source.states$.subscribe((event) => states.push(event));
    source.start();
    try {
      await waitFor(() => frames.length >= 5, { what: 'five frames', timeoutMs: 20_000 });
      assert.equal(frames[0]!.discontinuity, true);
      assert.equal(frames[0]!.width * frames[0]!.height * 3, frames[0]!.data.length);

      await rtsp.stop();
      await waitFor(() => states.some((e) => e.state === 'reconnecting'), { what: "'reconnecting'", timeoutMs: 10_000 });
      await sleep(1500); // the behaviour: an outage of 1.5 s, in which restarts meet a closed port
      const framesDuringOutage = frames.length;
      const lastSeqBefore = frames.at(-1)!.seq;
      const outage = states.filter((e) => e.state === 'reconnecting');
      assert.ok(outage.length >= 2, `several attempts while down (${outage.length})`);
      assert.ok(
        outage.some((e) => e.state === 'reconnecting' && /Connection refused/i.test(e.reason)),
        `a reason quotes ffmpeg: ${outage.map((e) => (e as { reason: string }).reason).join(' | ')}`,
      );

      await rtsp.start();
      const runningAgain = await waitFor(() => states.slice(states.indexOf(outage.at(-1)!)).find((e) => e.state === 'running'), { what: "'running' again", timeoutMs: 20_000 });
      await waitFor(() => frames.length > framesDuringOutage, { what: 'a frame after the outage', timeoutMs: 20_000 });
      const resumed = frames[framesDuringOutage]!;
      assert.equal(resumed.discontinuity, true, 'the first frame after the outage is a discontinuity');
      assert.ok(resumed.seq > lastSeqBefore, 'seq goes on counting across the restart');
      assert.ok(runningAgain.at >= rtsp.upAt);
      assert.equal(source.stats().state, 'running');
    } finally {
      await source.stop();
    }
  });

  it('serve: /readyz is 503 while the camera is down and 200 once frames flow again; clients see it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reliability-rtsp-'));
    let serve: ServeProcess | undefined;
    let client: RecordingClient | undefined;
    try {
      const config = join(dir, 'config.json');
      // Credentials in the URL (the test server does not ask for them): they must never reach a client.
      const url = rtsp.url.replace('rtsp://', `rtsp://viewer:${PASSWORD}@`);
      await writeFile(config, JSON.stringify({ sources: [{ id: 'cam', url, width: 64, height: 48, stallTimeoutMs: 3000, restart: FAST_RESTART }] }));
      serve = await startServe(['--config', config, '--bundle', FIXTURE_BUNDLE]);
      const readyz = `${serve.httpUrl}/readyz`;
      await waitFor(async () => (await getJson(readyz)).status === 200, { what: '/readyz 200', timeoutMs: 30_000 });
      client = await RecordingClient.connect(serve.wsUrl);
      await client.moreFrames(3, 'cam', 20_000);

      await rtsp.stop();
      const down = await waitFor(async () => {
        const res = await getJson(readyz);
        return res.status === 503 && res;
      }, { what: '/readyz 503', timeoutMs: 15_000 });
      assert.equal(down.body['reason'], 'NO_SOURCE_RUNNING');
      await client.waitFor(() => client!.states('cam').find((m) => m.state === 'reconnecting'), "'reconnecting' on /ws");
      await sleep(1000); // the behaviour: /readyz stays 503 for as long as the camera is down (no event when nothing changes)
      assert.equal((await getJson(readyz)).status, 503, 'still 503 while the camera is down');
      const framesBefore = client.frames.length;

      await rtsp.start();
      await waitFor(async () => (await getJson(readyz)).status === 200, { what: '/readyz 200 again', timeoutMs: 30_000 });
      const [resumed] = await client.moreFrames(1, 'cam', 20_000);
      assert.equal(client.frames[framesBefore]!.discontinuity, true, `first frame after the outage is a discontinuity (seq ${resumed!.seq})`);
      const outageMessages = client.states('cam').filter((m) => m.state === 'reconnecting').map((m) => String(m.message));
      assert.ok(outageMessages.some((m) => m.includes('viewer:***@')), `ffmpeg's quote of the URL is redacted: ${outageMessages.join(' | ')}`);
      assert.ok(!JSON.stringify(client.messages).includes(PASSWORD), 'no message to the client carries the password');
      const states = client.states('cam').map((m) => m.state);
      assert.deepEqual(states.slice(states.indexOf('reconnecting')).filter((s, i, all) => s !== all[i - 1]).slice(-2), ['starting', 'running']);
    } finally {
      client?.close();
      await serve?.cli.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
