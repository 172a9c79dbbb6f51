/**
 * `decorruptor serve` end to end, as a user runs it: a real ffmpeg lavfi source, the real inference
 * worker (fixture bundle), a real ws client on /ws.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIXTURE_BUNDLE, TestClient, childPids, serverUrl, spawnCli, type CliProcess } from '../helpers/cli.js';

let cli: CliProcess;
let base: string;

before(async () => {
  cli = spawnCli(['serve', '--port', '0', '--bundle', FIXTURE_BUNDLE, '--source', 'cam=lavfi:testsrc2=size=96x72:rate=15', '--log-level', 'info']);
  base = await serverUrl(cli);
});

after(async () => {
  cli.child.kill('SIGTERM');
  await cli.exited;
});

test('a ws client receives a hello and labeled frames within seconds', async () => {
  const client = new TestClient(`${base.replace('http', 'ws')}/ws`);
  await client.opened();
  await client.until(() => client.frames.length >= 5, 15_000, '5 frames');
  // A hello goes out on connect and again whenever the model info changes: the last one counts.
  const hello = client.texts.filter((m) => m.type === 'hello').at(-1) as { labels: string[] } | undefined;
  assert.ok(hello, 'hello message');
  const frame = client.frames[0];
  assert.equal(frame.streamId, 'cam');
  assert.ok(hello.labels.includes(frame.ensemble.label), `label ${frame.ensemble.label} is one of the bundle's labels`);
  assert.ok(frame.ensemble.confidence > 0 && frame.ensemble.confidence <= 1);
  client.close();
});

test('frames resume after the ffmpeg process is SIGKILLed, flagged as a discontinuity', async () => {
  const client = new TestClient(`${base.replace('http', 'ws')}/ws`);
  await client.opened();
  await client.until(() => client.frames.length >= 2, 15_000, 'frames before the kill');
  const [ffmpeg] = childPids(cli.child.pid!, 'ffmpeg');
  assert.ok(ffmpeg, 'serve runs an ffmpeg child');
  process.kill(ffmpeg, 'SIGKILL');
  const before = client.frames.length;
  await client.until(() => client.frames.slice(before).some((f) => f.discontinuity === true), 20_000, 'a frame after the restart');
  assert.ok(client.texts.some((m) => m.type === 'state' && m.state === 'reconnecting'), 'the outage was announced');
  client.close();
});

test('a malformed client message gets an error reply and frames keep coming', async () => {
  const client = new TestClient(`${base.replace('http', 'ws')}/ws`);
  await client.opened();
  client.ws.send('{not json');
  client.ws.send(JSON.stringify({ type: 'subscribe', streams: 42 }));
  await client.until(() => client.texts.filter((m) => m.type === 'error').length >= 2, 5000, 'two error replies');
  const codes = client.texts.filter((m) => m.type === 'error').map((m) => m.code);
  assert.deepEqual(codes, ['BAD_JSON', 'BAD_MESSAGE']);
  const seen = client.frames.length;
  await client.until(() => client.frames.length >= seen + 3, 10_000, 'frames after the bad messages');
  client.close();
});

test('/healthz, /readyz and /metrics answer', async () => {
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  const ready = await fetch(`${base}/readyz`);
  assert.equal(ready.status, 200, await ready.text());
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /decorruptor_frames_processed_total\{stream="cam"\} [1-9]/);
});
