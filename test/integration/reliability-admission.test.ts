/**
 * Who may reach the controls. The only control (set-corruption) travels over /ws, so the token
 * check on the upgrade covers it; plain HTTP has no route that changes anything. Origins: a
 * configured allow-list admits its entries and the server's own dashboard, and nothing else.
 * (server-pipeline.test.ts covers the token by query and header, and the default origin rule.)
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { ClientOptions } from 'ws';
import { startTestServer, type TestServer } from '../helpers/reliability-server.js';
import { RecordingClient, upgradeStatus } from '../helpers/reliability-ws.js';

const TOKEN = 'reliability-token-0123456789';


function httpStatus(port: number, method: string, path: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Every case gets a server of its own.

describe('token: the controls are behind it', () => {
  let ctx: TestServer;
  const calls: [string, string | null][] = [];
  beforeEach(async () => {
    calls.length = 0;
    ctx = await startTestServer({ auth: { token: TOKEN } }, { handlers: { setCorruption: (id, c) => void calls.push([id, c]) } });
  });
  afterEach(() => ctx.server.close());

  /** An authenticated client sets cam's corruption and sees the broadcast. */
  async function setCorruptionAuthenticated(): Promise<void> {
    const client = await RecordingClient.connect(`${ctx.wsUrl}?token=${TOKEN}`);
    try {
      client.ws.send(JSON.stringify({ type: 'set-corruption', streamId: 'cam', corruption: 'fog:4' }));
      await client.waitFor(() => client.messages.find((m) => m.type === 'corruption'), 'the corruption broadcast');
    } finally {
      client.close();
    }
  }

  it('refuses tokens in the wrong place or of the wrong value (401), so no unauthenticated control message is ever read', async () => {
    const refused: [string, ClientOptions | undefined][] = [
      [`${ctx.wsUrl}?Token=${TOKEN}`, undefined],
      [`${ctx.wsUrl}?token=${TOKEN.slice(0, -1)}`, undefined],
      [`${ctx.wsUrl}?token=${TOKEN}x`, undefined],
      [`${ctx.wsUrl}?token=`, undefined],
      [ctx.wsUrl, { headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } }],
      [ctx.wsUrl, { headers: { cookie: `token=${TOKEN}` } }],
      [ctx.wsUrl, { headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` } }],
    ];
    for (const [url, options] of refused) assert.equal(await upgradeStatus(url, options), 401, `${url} ${JSON.stringify(options ?? {})}`);
    assert.deepEqual(calls, []);
  });

  it('an authenticated client can use the control', async () => {
    await setCorruptionAuthenticated();
    assert.deepEqual(calls, [['cam', 'fog:4']]);
  });

  it('plain HTTP changes nothing: every non-GET is 405, whatever the path', async () => {
    await setCorruptionAuthenticated();
    for (const [method, path] of [['POST', '/ws'], ['POST', '/control'], ['PUT', '/streams/cam'], ['DELETE', '/'], ['PATCH', '/metrics'], ['POST', '/set-corruption']]) {
      assert.equal(await httpStatus(ctx.port, method!, path!, JSON.stringify({ streamId: 'cam', corruption: 'snow:2' })), 405, `${method} ${path}`);
    }
    assert.equal(calls.length, 1, 'only the authenticated WebSocket call reached the handler');
  });

  it('probes stay open (orchestrators have no token) and reveal no frames', async () => {
    assert.equal((await fetch(`${ctx.httpUrl}/healthz`)).status, 200);
    const ready = await fetch(`${ctx.httpUrl}/readyz`);
    assert.ok(!(await ready.text()).includes(TOKEN));
  });
});

describe('allowed origins', () => {
  let ctx: TestServer;
  beforeEach(async () => {
    ctx = await startTestServer({ allowedOrigins: ['https://dash.example:8443'] });
  });
  afterEach(() => ctx.server.close());

  it('admits a listed origin and the server’s own dashboard; refuses the rest (403)', async () => {
    assert.equal(await upgradeStatus(ctx.wsUrl, { origin: 'https://dash.example:8443' }), 101);
    assert.equal(await upgradeStatus(ctx.wsUrl, { origin: 'https://DASH.example:8443' }), 101, 'origins compare case-insensitively');
    assert.equal(await upgradeStatus(ctx.wsUrl, { origin: `http://127.0.0.1:${ctx.port}` }), 101, 'own origin');
    for (const origin of ['https://dash.example', 'http://dash.example:8443', 'https://dash.example:8443.evil.test', 'https://evil.test', 'null', 'file://']) {
      assert.equal(await upgradeStatus(ctx.wsUrl, { origin }), 403, origin);
    }
    assert.equal(await upgradeStatus(ctx.wsUrl), 101, 'clients that send no Origin (CLI tools) pass');
  });

  it('opaque and malformed origins are refused (403), not a crash, whatever the configuration', async () => {
    const defaults = await startTestServer();
    try {
      for (const url of [ctx.wsUrl, defaults.wsUrl]) {
        for (const origin of ['file://', 'file:///etc/passwd', 'data:text/html,x', 'http://[::1', 'chrome-extension://abc', '']) {
          const status = await upgradeStatus(url, { origin });
          assert.ok(status === 403 || (origin === '' && status === 101), `${origin} -> ${status}`);
        }
        assert.equal(await upgradeStatus(url), 101, 'still serving');
      }
    } finally {
      await defaults.server.close();
    }
  });

  it('["*"] admits any parseable origin', async () => {
    const open = await startTestServer({ allowedOrigins: ['*'] });
    try {
      assert.equal(await upgradeStatus(open.wsUrl, { origin: 'https://anything.test' }), 101);
    } finally {
      await open.server.close();
    }
  });
});

describe('secrets in state messages', () => {
  it('URLs quoted in a source message are redacted before any client sees them', async () => {
    const ctx = await startTestServer();
    const client = await RecordingClient.connect(ctx.wsUrl);
    try {
      ctx.server.setStreamState('cam', {
        state: 'reconnecting',
        attempt: 2,
        message: 'ffmpeg exited with code 1: rtsp://admin:hunter2@10.9.8.7:554/live?token=abc123: Connection refused',
      });
      const state = await client.waitFor(() => client.messages.find((m) => m.type === 'state'), 'the state message');
      assert.equal(state['message'], 'ffmpeg exited with code 1: rtsp://admin:***@10.9.8.7:554/live?token=***: Connection refused');
      const fresh = await RecordingClient.connect(ctx.wsUrl);
      const text = JSON.stringify(fresh.hello);
      fresh.close();
      assert.ok(!text.includes('hunter2') && !text.includes('abc123'), text);
    } finally {
      client.close();
      await ctx.server.close();
    }
  });
});
