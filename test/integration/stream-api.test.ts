/**
 * The stream API over real HTTP against startServe (in-process, a free port, real ffmpeg): streams
 * added under the token reach a /ws client and /metrics, removed ones leave no ffmpeg behind, and
 * serve outlives its last stream; refusals come as {error: {code, message, fields}}.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { loadConfig, type ConfigOverrides } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startServe, type ServeHandle } from '../../src/runtime/index.js';
import { DashboardServer } from '../../src/server/index.js';
import type { FrameSink } from '../../src/sinks/index.js';
import { FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import { isAlive } from '../helpers/stream-ffmpeg.js';
import { sleep, waitFor } from '../helpers/wait.js';

const TOKEN = 'stream-api-test-token-0123';
const lavfi = (rate: number) => `lavfi:testsrc2=size=64x48:rate=${rate}`;

interface Reply {
  status: number;
  headers: Headers;
  body: { error?: { code: string; message: string; fields?: Array<{ path: string; message: string }> } } & Record<string, unknown>;
}

/** One API call; `token` false sends none. */
async function api(base: string, method: string, path: string, { body, token = TOKEN, type = 'application/json' }: { body?: unknown; token?: string | false; type?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== false) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = type;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Reply['body'] };
}

/** A sink that records the ffmpeg pid of each stream's latest run. */
function pidSink(): FrameSink & { pids: Map<string, number> } {
  const pids = new Map<string, number>();
  return { name: 'pids', pids, state: (event) => event.state === 'running' && event.pid !== undefined && pids.set(event.sourceId, event.pid) };
}

async function serveWithApi(overrides: ConfigOverrides, extraSinks: FrameSink[] = []): Promise<ServeHandle> {
  const config = await loadConfig({
    file: undefined,
    overrides: {
      logLevel: 'silent',
      model: { bundle: FIXTURE_BUNDLE, intraOpThreads: 1 },
      ...overrides,
      server: { port: 0, auth: { token: TOKEN }, api: { enabled: true, maxBodyBytes: 2048 }, ...overrides.server },
    },
  });
  return startServe(config, { log: silentLogger, extraSinks });
}

test('stream API: add, list, corrupt and remove a lavfi stream under the token; frames reach /ws; its ffmpeg is gone; serve outlives its last stream', async () => {
  const pids = pidSink();
  const serving = await serveWithApi({ sources: [{ id: 'cam', url: lavfi(10), width: 64, height: 48 }] }, [pids]);
  const base = serving.url.replace(/\/$/, '');
  const client = await RecordingClient.connect(`${base.replace(/^http/, 'ws')}/ws?token=${TOKEN}`);
  try {
    // Without the token: refused, and nothing is added.
    const anonymous = await api(base, 'GET', '/api/streams', { token: false });
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error?.code, 'UNAUTHORIZED');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await api(base, 'POST', '/api/streams', { token: false, body: { id: 'sneaky', url: lavfi(10) } })).status, 401);
    assert.equal((await api(base, 'POST', '/api/streams', { token: 'wrong-token-but-long-enough', body: { id: 'sneaky', url: lavfi(10) } })).status, 401);

    const added = await api(base, 'POST', '/api/streams', { body: { id: 'added', url: lavfi(12), width: 64, height: 48, corrupt: 'fog:3' } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.headers.get('location'), '/api/streams/added');
    assert.equal((added.body.stream as { id: string }).id, 'added');
    assert.equal((await api(base, 'POST', '/api/streams', { body: { id: 'added', url: lavfi(5) } })).body.error?.code, 'STREAM_EXISTS');

    // The new stream's frames reach a client that was connected before it existed, and /metrics counts them.
    const frames = await client.moreFrames(2, 'added', 30_000);
    assert.equal(frames[0]!.corruption, 'fog:3');
    await client.waitFor(() => client.messages.some((m) => m.type === 'hello' && (m.streams as Array<{ id: string }>).some((s) => s.id === 'added')), 'a hello naming the added stream');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /decorruptor_frames_processed_total\{stream="added"\} [1-9]/);

    const listed = await api(base, 'GET', '/api/streams');
    assert.deepEqual((listed.body.streams as Array<{ id: string }>).map((s) => s.id).sort(), ['added', 'cam']);
    assert.equal((listed.body.streams as Array<{ id: string; state: string }>).find((s) => s.id === 'added')!.state, 'running');
    assert.equal((await api(base, 'GET', '/api/streams/added')).status, 200);

    const corrupted = await api(base, 'PUT', '/api/streams/added/corruption', { body: { corruption: 'gaussian_noise:2' } });
    assert.deepEqual([corrupted.status, corrupted.body], [200, { streamId: 'added', corruption: 'gaussian_noise:2' }]);
    await client.waitFor(() => client.frames.some((f) => f.streamId === 'added' && f.corruption === 'gaussian_noise:2'), 'frames with the new corruption');
    const badSpec = await api(base, 'PUT', '/api/streams/added/corruption', { body: { corruption: 'melted:9' } });
    assert.deepEqual([badSpec.status, badSpec.body.error?.code, badSpec.body.error?.fields?.[0]?.path], [400, 'CORRUPTION_INVALID', 'corruption']);
    assert.equal((await api(base, 'PUT', '/api/streams/added/corruption', { body: { corruption: 4 } })).body.error?.fields?.[0]?.path, 'corruption');

    // DELETE resolves once the stream's ffmpeg has exited.
    const pid = pids.pids.get('added');
    assert.ok(pid !== undefined && isAlive(pid), 'the added stream runs an ffmpeg');
    const seriesOf = async (id: string) => (await (await fetch(`${base}/metrics`)).text()).split('\n').filter((line) => line.includes(`stream="${id}"`));
    assert.ok((await seriesOf('added')).some((line) => line.startsWith('decorruptor_source_up')), 'a running stream is on /metrics');
    const removed = await api(base, 'DELETE', '/api/streams/added');
    assert.deepEqual([removed.status, removed.body], [200, { removed: 'added' }]);
    assert.equal(isAlive(pid), false, 'its ffmpeg is gone when DELETE answers');
    await client.waitFor(() => {
      const hello = [...client.messages].reverse().find((m) => m.type === 'hello');
      return hello !== undefined && !(hello.streams as Array<{ id: string }>).some((s) => s.id === 'added');
    }, 'a hello without the removed stream');
    await sleep(300); // room for a late frame of it
    assert.deepEqual(await seriesOf('added'), [], 'its /metrics series left with it');
    assert.equal((await api(base, 'DELETE', '/api/streams/added')).body.error?.code, 'UNKNOWN_STREAM');
    assert.equal((await api(base, 'GET', '/api/streams/added')).status, 404);

    // The last stream goes too: serve keeps serving, and takes a new one.
    const camPid = pids.pids.get('cam')!;
    assert.equal((await api(base, 'DELETE', '/api/streams/cam')).status, 200);
    assert.equal(isAlive(camPid), false);
    assert.deepEqual((await api(base, 'GET', '/api/streams')).body, { streams: [] });
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await api(base, 'POST', '/api/streams', { body: { id: 'again', url: lavfi(10), width: 64, height: 48 } })).status, 201);
    await client.moreFrames(1, 'again', 30_000);
  } finally {
    client.close();
    await serving.stop();
  }
  await serving.done;
});

test('stream API: bad requests are refused with stable codes and field errors, and the server keeps serving', async () => {
  const serving = await serveWithApi({ sources: [{ id: 'cam', url: lavfi(5), width: 64, height: 48 }] });
  const base = serving.url.replace(/\/$/, '');
  try {
    const badUrl = await api(base, 'POST', '/api/streams', { body: { id: 'x', url: 'gopher://camera/1' } });
    assert.equal(badUrl.status, 400);
    assert.equal(badUrl.body.error?.code, 'INVALID_BODY');
    assert.deepEqual(badUrl.body.error?.fields?.map((f) => f.path), ['url']);
    assert.match(badUrl.body.error!.message, /url: unsupported input/);

    const badFields = await api(base, 'POST', '/api/streams', { body: { id: 'has space', url: lavfi(5), width: 'wide', extra: 1 } });
    assert.deepEqual(badFields.body.error?.fields?.map((f) => f.path).sort(), ['(body)', 'id', 'width']);

    assert.equal((await api(base, 'POST', '/api/streams', { body: '{"id": ' })).body.error?.code, 'BAD_JSON');
    assert.equal((await api(base, 'POST', '/api/streams', { body: 'id=x', type: 'application/x-www-form-urlencoded' })).status, 415);
    const huge = await api(base, 'POST', '/api/streams', { body: { id: 'big', url: lavfi(5), corrupt: 'x'.repeat(4096) } });
    assert.deepEqual([huge.status, huge.body.error?.code], [413, 'BODY_TOO_LARGE']);
    const unreadable = await api(base, 'POST', '/api/streams', { body: { id: 'gone', url: '/no/such/file.mp4' } });
    assert.deepEqual([unreadable.status, unreadable.body.error?.code], [422, 'SOURCE_UNREADABLE']);
    const badCorruption = await api(base, 'POST', '/api/streams', { body: { id: 'odd', url: lavfi(5), corrupt: 'melted:9' } });
    assert.deepEqual([badCorruption.status, badCorruption.body.error?.code], [400, 'CORRUPTION_INVALID']);
    assert.equal((await api(base, 'PUT', '/api/streams/ghost/corruption', { body: { corruption: null } })).body.error?.code, 'UNKNOWN_STREAM');
    assert.equal((await api(base, 'DELETE', '/api/streams/ghost')).status, 404);
    assert.equal((await api(base, 'GET', '/api/cameras')).body.error?.code, 'NOT_FOUND');
    const patch = await api(base, 'PATCH', '/api/streams/cam');
    assert.deepEqual([patch.status, patch.headers.get('allow')], [405, 'GET, DELETE']);

    // None of it disturbed the stream that runs.
    const streams = await waitFor(async () => {
      const listed = (await api(base, 'GET', '/api/streams')).body.streams as Array<{ id: string; url: string; state: string; corruption: string | null }>;
      return listed.length === 1 && listed[0]!.state === 'running' && listed;
    }, { what: 'cam running' });
    const [{ id, url, corruption }] = streams;
    assert.deepEqual({ id, url, corruption }, { id: 'cam', url: lavfi(5), corruption: null });
  } finally {
    await serving.stop();
  }
});

/** A raw request, for the headers fetch will not let a caller set (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; code: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(text) as { error: { code: string } }).error?.code }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('stream API: off unless enabled; with no token only loopback requests from no foreign origin; a non-loopback host needs a token', async () => {
  const open = async (api: { enabled: boolean }) => {
    const config = await loadConfig({ file: undefined, overrides: { logLevel: 'silent', server: { port: 0, api } } });
    const server = await DashboardServer.create({ config, info: { version: 't', labels: [], model: {} }, defaultMetrics: false, handlers: { removeStream: async () => false } });
    const { url } = await server.listen();
    return { server, base: url.replace(/\/$/, '') };
  };
  const off = await open({ enabled: false });
  try {
    const reply = await api(off.base, 'GET', '/api/streams', { token: false });
    assert.deepEqual([reply.status, reply.body.error?.code], [404, 'API_DISABLED']);
  } finally {
    await off.server.close();
  }
  const on = await open({ enabled: true });
  try {
    assert.equal((await api(on.base, 'GET', '/api/streams', { token: false })).status, 200);
    assert.deepEqual(await rawGet(`${on.base}/api/streams`, { host: 'rebound.example:8080' }), { status: 403, code: 'HOST_NOT_ALLOWED' });
    assert.deepEqual(await rawGet(`${on.base}/api/streams`, { origin: 'http://evil.example' }), { status: 403, code: 'ORIGIN_NOT_ALLOWED' });
    assert.equal((await api(on.base, 'POST', '/api/streams', { token: false, body: { id: 'a', url: lavfi(5) } })).body.error?.code, 'UNSUPPORTED');
  } finally {
    await on.server.close();
  }
  await assert.rejects(
    loadConfig({ file: undefined, overrides: { server: { host: '0.0.0.0', api: { enabled: true } } } }),
    /server\.api\.enabled: the stream API needs server\.auth\.token/,
  );
});
