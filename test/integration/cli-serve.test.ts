/**
 * `decorruptor serve` end to end, as a user runs it: a real ffmpeg lavfi source, the real inference
 * worker (fixture bundle), a real ws client on /ws. Each case runs its own serve on a free port.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childPids, FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { withServe } from '../helpers/serve-session.js';

const SERVE = ['--bundle', FIXTURE_BUNDLE, '--source', 'cam=lavfi:testsrc2=size=96x72:rate=15'];

test('a ws client receives a hello and labeled frames within seconds', () =>
  withServe(SERVE, {}, async (_serve, client) => {
    await client.moreFrames(5, undefined, 15_000);
    // A hello goes out on connect and again whenever the model info changes: the last one counts.
    const hello = client.messages.filter((m) => m.type === 'hello').at(-1) as { labels: string[] } | undefined;
    assert.ok(hello, 'hello message');
    const frame = client.frames[0]!;
    assert.equal(frame.streamId, 'cam');
    assert.ok(hello.labels.includes(frame.ensemble.label), `label ${frame.ensemble.label} is one of the bundle's labels`);
    assert.ok(frame.ensemble.confidence > 0 && frame.ensemble.confidence <= 1);
  }));

test('frames resume after the ffmpeg process is SIGKILLed, flagged as a discontinuity', () =>
  withServe(SERVE, {}, async (serve, client) => {
    await client.moreFrames(2, undefined, 15_000);
    const [ffmpeg] = childPids(serve.cli.pid, 'ffmpeg');
    assert.ok(ffmpeg, 'serve runs an ffmpeg child');
    process.kill(ffmpeg, 'SIGKILL');
    const before = client.frames.length;
    await client.waitFor(() => client.frames.slice(before).some((f) => f.discontinuity === true), 'a frame after the restart', 20_000);
    assert.ok(client.messages.some((m) => m.type === 'state' && m['state'] === 'reconnecting'), 'the outage was announced');
  }));

test('a malformed client message gets an error reply and frames keep coming', () =>
  withServe(SERVE, {}, async (_serve, client) => {
    client.ws.send('{not json');
    client.ws.send(JSON.stringify({ type: 'subscribe', streams: 42 }));
    const errors = () => client.messages.filter((m) => m.type === 'error');
    await client.waitFor(() => errors().length >= 2, 'two error replies', 5000);
    assert.deepEqual(errors().map((m) => m['code']), ['BAD_JSON', 'BAD_MESSAGE']);
    await client.moreFrames(3, undefined, 10_000);
  }));

test('/healthz, /readyz and /metrics answer', () =>
  withServe(SERVE, {}, async (serve, client) => {
    // Once a frame has reached the client, the model is loaded, the stream runs and the frame was counted.
    await client.moreFrames(1, undefined, 15_000);
    const base = serve.httpUrl;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /decorruptor_frames_processed_total\{stream="cam"\} [1-9]/);
  }));

test('serve --api turns the stream API on (off without it)', async () => {
  await withServe(SERVE, {}, async (serve) => {
    const off = await fetch(`${serve.httpUrl}/api/streams`);
    assert.equal(((await off.json()) as { error: { code: string } }).error.code, 'API_DISABLED');
  });
  await withServe([...SERVE, '--api'], {}, async (serve) => {
    // Loopback host, no token: the API answers loopback requests.
    const on = await fetch(`${serve.httpUrl}/api/streams`);
    assert.equal(on.status, 200);
    assert.deepEqual(((await on.json()) as { streams: Array<{ id: string }> }).streams.map((s) => s.id), ['cam']);
  });
});
