/**
 * DashboardServer over real sockets with real ws clients: HTTP routes, the WebSocket protocol,
 * refusals, slow clients. Frames are small synthetic images so each test stays fast.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import sharp from 'sharp';
import { WebSocket, type ClientOptions } from 'ws';
import { decodeFrameMessage, type DecodedFrameMessage } from '../../src/server/protocol.js';
import {
  LABELS,
  startTestServer,
  syntheticFrame,
  syntheticInference,
  type SyntheticFrameOptions,
  type TestServer,
  type TestServerOptions,
} from '../helpers/reliability-server.js';
import { upgradeStatus } from '../helpers/reliability-ws.js';
import { waitFor, waitOn } from '../helpers/wait.js';

// ---- fixtures ------------------------------------------------------------------------------------

const TOKEN = 'a-test-token-of-enough-length';

/**
 * A server not yet model-ready, whose `cam` URL carries a password (`secret`) that hello must redact;
 * `cam` is a test feed configured with fog:4, `file` is clean.
 */
function startServer(server: Record<string, unknown> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  return startTestServer(server, {
    sources: [
      { id: 'cam', url: 'rtsp://viewer:secret@10.1.2.3/live', corrupt: 'fog:4' },
      { id: 'file', url: 'clips/a.mp4' },
    ],
    info: { version: '9.9.9', labels: LABELS, model: { name: 'test-bundle', editor: 'cm', steps: 4 } },
    modelReady: false,
    ...options,
  });
}

/** A frame captured 3 ms ago, with ground truth and a corruption. */
function makeFrame(streamId: string, seq: number, options: SyntheticFrameOptions = {}) {
  return syntheticFrame(streamId, seq, { ageMs: 3, meta: { truth: 'cat', corruption: 'fog:4' }, ...options });
}

/** An inference from a batch of 4 frames. */
const makeInference = () => syntheticInference(4);

// ---- a ws client that records what it gets -------------------------------------------------------

type Json = Record<string, unknown> & { type: string };

class TestClient {
  readonly ws: WebSocket;
  readonly messages: Json[] = [];
  readonly frames: DecodedFrameMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  #roundTrips = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) this.frames.push(decodeFrameMessage(data));
      else this.messages.push(JSON.parse(data.toString()) as Json);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  }

  /** Connects and waits for the hello, kept in `hello`. */
  static async connect(url: string, options?: ClientOptions): Promise<TestClient & { hello: Json }> {
    const client = new TestClient(new WebSocket(url, options));
    return Object.assign(client, { hello: await client.next('hello') });
  }

  /** Resolves when `check` passes on what has arrived so far (checked again on every message). */
  until<T>(check: () => T | undefined, what: string, timeoutMs = 3000): Promise<T> {
    return waitOn(check, [[this.ws, 'message']], { what, timeoutMs });
  }

  /** The first message of this type not yet taken. */
  next(type: string, timeoutMs?: number): Promise<Json> {
    return this.until(() => {
      const index = this.messages.findIndex((m) => m.type === type);
      return index === -1 ? undefined : this.messages.splice(index, 1)[0];
    }, `a "${type}" message`, timeoutMs);
  }

  /** A ping answered: whatever the server sent this client before answering has arrived. */
  async roundTrip(): Promise<void> {
    const id = `round-trip-${++this.#roundTrips}`;
    this.send({ type: 'ping', id });
    await this.until(() => this.messages.find((m) => m.type === 'pong' && m.id === id), `the pong to ${id}`);
  }

  framesReach(count: number, timeoutMs?: number): Promise<DecodedFrameMessage[]> {
    return this.until(() => (this.frames.length >= count ? this.frames : undefined), `${count} frames`, timeoutMs);
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  close(): void {
    this.ws.close();
  }
}

/** Raw HTTP GET that sends the path exactly as given (fetch would normalise `..`). */
function rawGet(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}


// ---- HTTP ----------------------------------------------------------------------------------------

// Every case gets a server of its own: what one case does to a server never shows in another.

describe('HTTP routes', () => {
  let ctx: TestServer;
  beforeEach(async () => {
    ctx = await startServer({}, { defaultMetrics: true });
  });
  afterEach(() => ctx.server.close());

  it('/healthz answers 200', async () => {
    const res = await fetch(`${ctx.httpUrl}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('/readyz goes 503 (model) -> 503 (sources) -> 200', async () => {
    let res = await fetch(`${ctx.httpUrl}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { reason: string }).reason, 'MODEL_NOT_LOADED');
    ctx.server.setModelReady(true);
    res = await fetch(`${ctx.httpUrl}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { reason: string }).reason, 'NO_SOURCE_RUNNING');
    ctx.server.setStreamState('cam', { state: 'running' });
    res = await fetch(`${ctx.httpUrl}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ready: true, runningStreams: 1 });
    ctx.server.setStreamState('cam', { state: 'reconnecting', attempt: 1, message: 'connection refused' });
    assert.equal((await fetch(`${ctx.httpUrl}/readyz`)).status, 503);
  });

  it('/metrics exposes the pipeline metrics in Prometheus format', async () => {
    ctx.server.setStreamState('cam', { state: 'running' });
    ctx.server.setStreamState('cam', { state: 'reconnecting', attempt: 1, message: 'connection refused' }); // one outage
    ctx.server.metrics.batch(4, makeInference().timings);
    ctx.server.metrics.framesDropped('cam', 3);
    await ctx.server.publishFrame(makeFrame('cam', 0), makeInference());
    const res = await fetch(`${ctx.httpUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const body = await res.text();
    for (const name of [
      'decorruptor_frames_processed_total{stream="cam"} 1',
      'decorruptor_frames_dropped_total{stream="cam",reason="stale"} 3',
      'decorruptor_capture_to_send_ms_bucket',
      'decorruptor_batch_size_bucket',
      'decorruptor_inference_stage_ms_bucket{le="20",stage="unet"}',
      'decorruptor_ws_clients',
      'decorruptor_stream_fps',
      'decorruptor_source_up{stream="cam"}',
      'decorruptor_source_outages_total{stream="cam"} 1',
      'decorruptor_nodejs_eventloop_lag_p99_seconds',
    ]) {
      assert.ok(body.includes(name), `missing ${name}`);
    }
  });

  it('serves the dashboard with the right content types', async () => {
    const page = await fetch(`${ctx.httpUrl}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<!doctype html>/i);
    assert.ok(page.headers.get('content-security-policy'));
    const script = await fetch(`${ctx.httpUrl}/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const style = await fetch(`${ctx.httpUrl}/style.css`);
    assert.match(style.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await fetch(`${ctx.httpUrl}/nope.js`)).status, 404);
  });

  it('refuses path traversal', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/../../etc/passwd', '/%2e%2e%5cpackage.json']) {
      const res = await rawGet(ctx.port, path);
      assert.ok(res.status === 400 || res.status === 404, `${path} -> ${res.status}`);
      assert.ok(!res.body.includes('decorruptor-stream'), `${path} leaked package.json`);
    }
  });

  it('only GET and HEAD', async () => {
    assert.equal((await rawGet(ctx.port, '/', 'POST')).status, 405);
    const head = await rawGet(ctx.port, '/', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });
});

// ---- WebSocket protocol --------------------------------------------------------------------------

describe('WebSocket protocol', () => {
  let ctx: TestServer;
  const corruptionCalls: [string, string | null][] = [];
  beforeEach(async () => {
    corruptionCalls.length = 0;
    ctx = await startServer(
      { statsIntervalMs: 100, rateLimit: { messagesPerSecond: 1000, burst: 1000 } },
      {
        info: { version: '9.9.9', labels: LABELS, model: { name: 'test-bundle' }, corruptions: ['fog:4', 'snow:2'] },
        handlers: {
          setCorruption(streamId, corruption) {
            if (corruption === 'lava:9') throw new Error('no such corruption');
            corruptionCalls.push([streamId, corruption]);
          },
        },
      },
    );
  });
  afterEach(() => ctx.server.close());

  it('says hello with version, labels, model and redacted streams', async () => {
    const client = await TestClient.connect(ctx.wsUrl);
    const hello = client.hello;
    assert.equal(hello.protocol, 1);
    assert.equal(hello.version, '9.9.9');
    assert.deepEqual(hello.labels, LABELS);
    assert.deepEqual(hello.model, { name: 'test-bundle' });
    assert.deepEqual(hello.corruptions, ['fog:4', 'snow:2']);
    assert.deepEqual(hello.controls, { setCorruption: true, setRegions: false });
    assert.equal(hello.subscribed, '*');
    const streams = hello.streams as { id: string; url: string; state: string; corruption?: string | null }[];
    assert.deepEqual(
      streams.map((s) => [s.id, s.url, s.state, s.corruption]),
      [
        ['cam', 'rtsp://viewer:***@10.1.2.3/live', 'starting', 'fog:4'],
        ['file', 'clips/a.mp4', 'starting', null],
      ],
      'corruption settings come from the config',
    );
    client.close();
  });

  it('delivers frames to subscribed clients with every field and decodable JPEGs', async () => {
    const everything = await TestClient.connect(ctx.wsUrl);
    const camOnly = await TestClient.connect(ctx.wsUrl);
    const paused = await TestClient.connect(ctx.wsUrl);
    camOnly.send({ type: 'subscribe', streams: ['cam'] });
    assert.deepEqual((await camOnly.next('subscribed')).streams, ['cam']);
    paused.send({ type: 'pause', paused: true });
    await paused.next('paused');

    const before = Date.now();
    const outcome = await ctx.server.publishFrame(makeFrame('cam', 0), makeInference());
    assert.deepEqual(outcome, { status: 'sent', sent: 2, skipped: 0 });
    await ctx.server.publishFrame(makeFrame('file', 0), makeInference());

    const [frame] = await camOnly.framesReach(1);
    const { header, source, edited } = frame!;
    assert.equal(header.type, 'frame');
    assert.equal(header.streamId, 'cam');
    assert.equal(header.seq, 0);
    assert.equal(header.ptsMs, 0);
    assert.equal(header.discontinuity, true);
    assert.equal(header.truth, 'cat');
    assert.equal(header.corruption, 'fog:4');
    assert.ok(Math.abs(header.capturedAt - before) < 1000, 'capturedAt is epoch ms');
    assert.ok(header.sentAt >= header.capturedAt);
    assert.ok(header.latencyMs >= 3);
    assert.equal(header.source.label, 'dog');
    assert.equal(header.ensemble.label, 'cat');
    assert.equal(header.edited?.label, 'cat');
    assert.equal(header.changed, true);
    assert.equal(header.ensemble.topk.length, 2, 'top-k trimmed to config.model.topK');
    assert.equal(header.timings.batchSize, 4);
    assert.deepEqual([source[0], source[1]], [0xff, 0xd8]);
    assert.deepEqual([edited![0], edited![1]], [0xff, 0xd8]);
    const sourceMeta = await sharp(source).metadata();
    assert.deepEqual([sourceMeta.format, sourceMeta.width, sourceMeta.height], ['jpeg', 64, 48]);
    const editedMeta = await sharp(edited!).metadata();
    assert.deepEqual([editedMeta.width, editedMeta.height], [32, 32]);

    await everything.framesReach(2);
    assert.deepEqual(everything.frames.map((f) => f.header.streamId), ['cam', 'file']);
    // Frames and replies share each socket in order: after these pongs, no frame is still on its way.
    await Promise.all([camOnly.roundTrip(), paused.roundTrip()]);
    assert.equal(camOnly.frames.length, 1, 'file frame not sent to a cam-only client');
    assert.equal(paused.frames.length, 0, 'paused client gets no frames');
    for (const c of [everything, camOnly, paused]) c.close();
  });

  it('encodes nothing when nobody wants the frame', async () => {
    assert.equal(ctx.server.clientCount, 0, 'nobody is connected to this server');
    const outcome = await ctx.server.publishFrame(makeFrame('cam', 1), makeInference());
    assert.equal(outcome.status, 'no-subscribers');
  });

  it('a removed stream stays gone: its late frames and states reach nobody and bring it back nowhere', async () => {
    ctx.server.setModelReady(true);
    const client = await TestClient.connect(ctx.wsUrl);
    assert.equal((await ctx.server.publishFrame(makeFrame('cam', 0), makeInference())).status, 'sent');
    const seriesOf = async (id: string) => (await ctx.server.metrics.exposition()).body.split('\n').filter((line) => line.includes(`stream="${id}"`));
    assert.ok((await seriesOf('cam')).some((line) => line.startsWith('decorruptor_frames_processed_total')));
    ctx.server.removeStream('cam');
    const rehello = await client.next('hello');
    assert.deepEqual((rehello.streams as { id: string }[]).map((s) => s.id), ['file']);

    // What the flow had queued for it comes out after the removal.
    assert.equal((await ctx.server.publishFrame(makeFrame('cam', 1), makeInference())).status, 'no-subscribers');
    ctx.server.setStreamState('cam', { state: 'ended' });
    await client.roundTrip();
    assert.deepEqual([client.frames.length, client.messages.filter((m) => m.type === 'state' && m.streamId === 'cam').length], [1, 0]);
    assert.equal(ctx.server.readiness().ready, false, 'no stream runs: the late frame did not make cam running again');
    assert.deepEqual(await seriesOf('cam'), [], 'its /metrics series left with it (a removed camera is not a source that is down)');
    const later = await TestClient.connect(ctx.wsUrl);
    assert.ok(!(later.hello.streams as { id: string }[]).some((s) => s.id === 'cam'), 'a later hello does not list it');

    // Added again, it is a stream like any other.
    ctx.server.addStream({ id: 'cam', url: 'lavfi:testsrc2' });
    assert.equal((await ctx.server.publishFrame(makeFrame('cam', 0), makeInference())).status, 'sent');
    await later.framesReach(1);
    for (const c of [client, later]) c.close();
  });

  it('answers malformed messages with error codes and carries on', async () => {
    const client = await TestClient.connect(ctx.wsUrl);
    const cases: [unknown, string][] = [
      ['{not json', 'BAD_JSON'],
      [{ type: 'pause', paused: 'yes' }, 'BAD_MESSAGE'],
      [{ type: 'subscribe' }, 'BAD_MESSAGE'],
      [[1, 2], 'BAD_MESSAGE'],
      [{ type: 'self-destruct' }, 'UNKNOWN_TYPE'],
      [Buffer.from([1, 2, 3]), 'UNEXPECTED_BINARY'],
    ];
    for (const [message, code] of cases) {
      client.send(message);
      const error = await client.next('error');
      assert.equal(error.code, code, JSON.stringify(message));
    }
    client.send({ type: 'ping', id: 'p1' });
    assert.equal((await client.next('pong')).id, 'p1');
    await ctx.server.publishFrame(makeFrame('cam', 2), makeInference());
    await client.framesReach(1);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    client.close();
  });

  it('set-corruption goes to the handler and is broadcast; refusals carry codes', async () => {
    const asker = await TestClient.connect(ctx.wsUrl);
    const watcher = await TestClient.connect(ctx.wsUrl);
    asker.send({ type: 'set-corruption', streamId: 'cam', corruption: 'snow:2' });
    assert.deepEqual((await watcher.next('corruption')).corruption, 'snow:2');
    assert.deepEqual(corruptionCalls.at(-1), ['cam', 'snow:2']);
    asker.send({ type: 'set-corruption', streamId: 'ghost', corruption: null });
    assert.equal((await asker.next('error')).code, 'UNKNOWN_STREAM');
    asker.send({ type: 'set-corruption', streamId: 'cam', corruption: 'lava:9' });
    const refused = await asker.next('error');
    assert.equal(refused.code, 'REJECTED');
    assert.equal(refused.for, 'set-corruption');
    asker.close();
    watcher.close();
  });

  it('a client that connects after a set-corruption gets the new setting in its hello', async () => {
    const settings = (hello: Json) => Object.fromEntries((hello.streams as { id: string; corruption?: string | null }[]).map((s) => [s.id, s.corruption]));
    const asker = await TestClient.connect(ctx.wsUrl);
    const camBefore = settings(asker.hello).cam;
    assert.equal(settings(asker.hello).file, null, 'file is clean in the config');

    asker.send({ type: 'set-corruption', streamId: 'file', corruption: 'frost:3' });
    assert.equal((await asker.next('corruption')).corruption, 'frost:3');
    const late = await TestClient.connect(ctx.wsUrl);
    assert.deepEqual(settings(late.hello), { cam: camBefore, file: 'frost:3' }, 'only the changed stream changes');

    asker.send({ type: 'set-corruption', streamId: 'file', corruption: 'lava:9' });
    assert.equal((await asker.next('error')).code, 'REJECTED');
    const afterRefusal = await TestClient.connect(ctx.wsUrl);
    assert.equal(settings(afterRefusal.hello).file, 'frost:3', 'a refused change is not recorded');

    asker.send({ type: 'set-corruption', streamId: 'file', corruption: null });
    assert.equal((await asker.next('corruption')).corruption, null);
    const afterClear = await TestClient.connect(ctx.wsUrl);
    assert.equal(settings(afterClear.hello).file, null, 'back to clean');
    for (const c of [asker, late, afterRefusal, afterClear]) c.close();
  });

  it('pushes state changes and periodic stats', async () => {
    const client = await TestClient.connect(ctx.wsUrl);
    await ctx.server.publishFrame(makeFrame('cam', 0), makeInference());
    await client.framesReach(1);
    ctx.server.setStreamState('file', { state: 'error', message: 'ffmpeg exited with code 1: No such file' });
    const state = await client.next('state');
    assert.deepEqual([state.streamId, state.state, state.message], ['file', 'error', 'ffmpeg exited with code 1: No such file']);
    ctx.server.metrics.framesDropped('cam', 2);
    type StreamStats = { id: string; dropped: number; fps: number; p95LatencyMs: number | null };
    const camStats = (m: Json) => (m.streams as StreamStats[]).find((s) => s.id === 'cam');
    const stats = await client.until(() => client.messages.find((m) => m.type === 'stats' && camStats(m)!.dropped >= 2), 'stats with the drops');
    assert.equal(typeof camStats(stats)!.fps, 'number');
    assert.equal(typeof camStats(stats)!.p95LatencyMs, 'number', 'frames were published to cam before');
    assert.equal(stats.skipped, 0);
    client.close();
  });
});

// ---- abuse and slow clients ----------------------------------------------------------------------

describe('WebSocket limits', () => {
  it('closes an oversize message with 1009 and keeps serving others', async () => {
    const ctx = await startServer({ maxPayloadBytes: 1024 });
    try {
      const bystander = await TestClient.connect(ctx.wsUrl);
      const offender = await TestClient.connect(ctx.wsUrl);
      offender.send(JSON.stringify({ type: 'ping', id: 'x'.repeat(4096) }));
      assert.equal((await offender.closed).code, 1009);
      await ctx.server.publishFrame(makeFrame('cam', 0), makeInference());
      await bystander.framesReach(1);
      const newcomer = await TestClient.connect(ctx.wsUrl);
      newcomer.send({ type: 'ping' });
      await newcomer.next('pong');
      bystander.close();
      newcomer.close();
    } finally {
      await ctx.server.close();
    }
  });

  it('rate-limits floods: error first, then close with 1008', async () => {
    const ctx = await startServer({ rateLimit: { messagesPerSecond: 1, burst: 5 } });
    try {
      const client = await TestClient.connect(ctx.wsUrl);
      for (let i = 0; i < 6; i++) client.send({ type: 'ping', id: i });
      assert.equal((await client.next('error')).code, 'RATE_LIMITED');
      assert.equal(client.messages.filter((m) => m.type === 'pong').length, 5);
      for (let i = 0; i < 10; i++) client.send({ type: 'ping' });
      assert.equal((await client.closed).code, 1008);
      const other = await TestClient.connect(ctx.wsUrl);
      other.close();
    } finally {
      await ctx.server.close();
    }
  });

  it('drops clients that stop answering pings', async () => {
    const ctx = await startServer({ heartbeatMs: 100 });
    try {
      const silent = await TestClient.connect(ctx.wsUrl, { autoPong: false });
      const healthy = await TestClient.connect(ctx.wsUrl);
      const { code } = await silent.closed;
      assert.equal(code, 1006, 'terminated without a close frame');
      assert.equal(healthy.ws.readyState, WebSocket.OPEN);
      // Server-side effects of a client's close land a moment later.
      await waitFor(() => ctx.server.clientCount === 1, { what: 'the silent client to be dropped', timeoutMs: 2000 });
      healthy.close();
    } finally {
      await ctx.server.close();
    }
  });

  it('a slow client skips frames with bounded memory while a fast one gets them all', async () => {
    const queueBytes = 256 * 1024;
    const ctx = await startServer({ clientQueueBytes: queueBytes, jpegQuality: 90 });
    try {
      const fast = await TestClient.connect(ctx.wsUrl);
      const slow = await TestClient.connect(ctx.wsUrl);
      // Stop reading: the kernel buffers fill, then the server's socket buffer grows.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

      const base = makeFrame('cam', 0, { width: 640, height: 480, noise: true });
      let largestFrame = 0;
      let maxBuffered = 0;
      let skipped = 0;
      const count = 150; // an upper bound: the loop stops once the kernel buffers are full and skips begin
      for (let seq = 0; seq < count && skipped < 5; seq++) {
        const outcome = await ctx.server.publishFrame({ ...base, seq, capturedAt: performance.now() }, makeInference());
        skipped += outcome.skipped;
        await fast.framesReach(seq + 1, 5000);
        largestFrame = Math.max(largestFrame, fast.frames.at(-1)!.source.byteLength + 4096);
        const slowState = ctx.server.clients().find((c) => c.id === 2)!;
        maxBuffered = Math.max(maxBuffered, slowState.bufferedBytes);
      }
      assert.ok(skipped >= 5, `slow client skipped ${skipped} frames`);
      assert.equal(fast.frames.length, new Set(fast.frames.map((f) => f.header.seq)).size);
      assert.deepEqual(
        fast.frames.map((f) => f.header.seq),
        fast.frames.map((_, i) => i),
        'fast client got every frame in order',
      );
      assert.ok(maxBuffered <= queueBytes + largestFrame, `buffered ${maxBuffered} > ${queueBytes} + one frame`);
      const slowState = ctx.server.clients().find((c) => c.id === 2)!;
      assert.equal(slowState.skipped, skipped);
      fast.close();
      slow.ws.terminate();
    } finally {
      await ctx.server.close();
    }
  });
});

// ---- who may connect -----------------------------------------------------------------------------

describe('WebSocket admission', () => {
  let ctx: TestServer;
  beforeEach(async () => {
    ctx = await startServer({ auth: { token: TOKEN } });
  });
  afterEach(() => ctx.server.close());

  it('requires the token, by query or bearer header', async () => {
    assert.equal(await upgradeStatus(ctx.wsUrl), 401);
    assert.equal(await upgradeStatus(`${ctx.wsUrl}?token=wrong-token-of-enough-length`), 401);
    assert.equal(await upgradeStatus(`${ctx.wsUrl}?token=${TOKEN}`), 101);
    assert.equal(await upgradeStatus(ctx.wsUrl, { headers: { authorization: `Bearer ${TOKEN}` } }), 101);
  });

  it('refuses foreign browser origins and other paths', async () => {
    assert.equal(await upgradeStatus(`${ctx.wsUrl}?token=${TOKEN}`, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(`${ctx.wsUrl}?token=${TOKEN}`, { origin: `http://127.0.0.1:${ctx.port}` }), 101);
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${ctx.port}/other`), 404);
  });
});
