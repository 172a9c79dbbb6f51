/**
 * Hostile WebSocket clients against a real server: a few thousand random and malformed messages
 * over several connections, a flood, and raw TCP sessions that break the framing. Every message
 * gets an error reply or its connection a close code; the server never crashes, its memory stays
 * bounded, and afterwards a fresh client still gets frames and /healthz answers.
 * FUZZ_SEED and FUZZ_MESSAGES change the run (the seed is printed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { brokenFrames, MessageFuzzer, rawSession, seededRandom, type FuzzKind } from '../helpers/reliability-fuzz.js';
import { settledMemory, startTestServer, syntheticFrame, syntheticInference, type TestServer } from '../helpers/reliability-server.js';
import { RecordingClient } from '../helpers/reliability-ws.js';
import { sleep, waitFor, waitOn } from '../helpers/wait.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_129);
const MESSAGES = Number(process.env['FUZZ_MESSAGES'] ?? 3000);
const CONNECTIONS = 4;
const MAX_PAYLOAD = 16 * 1024;
const PER_SECOND = 300;
const MiB = 1024 * 1024;

const DOCUMENTED_ERROR_CODES = new Set(['BAD_JSON', 'BAD_MESSAGE', 'UNKNOWN_TYPE', 'UNEXPECTED_BINARY', 'UNKNOWN_STREAM', 'UNSUPPORTED', 'REJECTED', 'RATE_LIMITED']);
const REPLY_TYPES = new Set(['hello', 'error', 'pong', 'subscribed', 'paused', 'corruption', 'state', 'stats']);

interface FuzzReport {
  seed: number;
  sent: number;
  sentByKind: Partial<Record<FuzzKind, number>>;
  connections: number;
  repliesByType: Record<string, number>;
  errorsByCode: Record<string, number>;
  closesByCode: Record<string, number>;
  framesReceived: number;
  unparseableReplies: number;
}

const count = (table: Record<string, number>, key: string | number) => (table[key] = (table[key] ?? 0) + 1);

/** Sends `quota` fuzz messages, paced under the rate limit, reconnecting whenever the server closes. */
async function fuzzConnection(url: string, fuzzer: MessageFuzzer, quota: number, report: FuzzReport): Promise<void> {
  let sent = 0;
  while (sent < quota) {
    const ws = new WebSocket(url);
    report.connections++;
    const lastPing = `last-ping-${report.connections}`;
    let lastPingAnswered = false;
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return void report.framesReceived++;
      try {
        const message = JSON.parse(data.toString()) as { type: string; code?: string; id?: unknown };
        if (message.type === 'pong' && message.id === lastPing) return void (lastPingAnswered = true); // ours, not the fuzzer's
        count(report.repliesByType, message.type);
        if (message.type === 'error') count(report.errorsByCode, message.code ?? '?');
      } catch {
        report.unparseableReplies++;
      }
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const opened = await Promise.race([new Promise<boolean>((resolve) => ws.once('open', () => resolve(true))), closed.then(() => false)]);
    if (!opened) continue;
    let open = true;
    void closed.then(() => (open = false));
    // 20 messages every 100 ms: 200/s, under the 300/s limit, so most reach the parser.
    while (open && sent < quota) {
      for (let i = 0; i < 20 && open && sent < quota; i++) {
        const message = fuzzer.next();
        ws.send(message.data, { binary: message.binary });
        sent++;
        report.sent++;
        count(report.sentByKind, message.kind);
      }
      await sleep(100); // the behaviour: pacing under the rate limit
    }
    if (open) {
      // Replies come in order: once the last ping is answered (or the server closed), every reply is in.
      ws.send(JSON.stringify({ type: 'ping', id: lastPing }));
      await waitOn(() => lastPingAnswered || ws.readyState === WebSocket.CLOSED, [[ws, 'message'], [ws, 'close']], { what: `the pong to ${lastPing}` });
      ws.close(1000);
    }
    count(report.closesByCode, await closed);
  }
}

async function flood(url: string, report: FuzzReport): Promise<number> {
  const client = await RecordingClient.connect(url);
  report.connections++;
  for (let i = 0; i < 1000 && client.ws.readyState === WebSocket.OPEN; i++) client.ws.send(JSON.stringify({ type: 'ping', id: i }));
  const { code } = await client.closed;
  count(report.closesByCode, code);
  for (const m of client.messages) {
    count(report.repliesByType, m.type);
    if (m.type === 'error') count(report.errorsByCode, String(m['code']));
  }
  return code;
}

describe('WebSocket fuzz', { timeout: 180_000 }, () => {
  it(`${MESSAGES} hostile messages on ${CONNECTIONS} connections: error replies or close codes, never a crash`, async (t) => {
    const ctx: TestServer = await startTestServer(
      { maxPayloadBytes: MAX_PAYLOAD, rateLimit: { messagesPerSecond: PER_SECOND, burst: 100 } },
      {
        handlers: {
          setCorruption(_streamId, corruption) {
            if (corruption === 'lava:9') throw new Error('no such corruption');
          },
        },
      },
    );
    let seq = 0;
    // The behaviour: frames keep flowing at 20 fps while the fuzz runs.
    const publisher = setInterval(() => void ctx.server.publishFrame(syntheticFrame('cam', seq++), syntheticInference()), 50);
    try {
      const before = await settledMemory();
      const report: FuzzReport = { seed: SEED, sent: 0, sentByKind: {}, connections: 0, repliesByType: {}, errorsByCode: {}, closesByCode: {}, framesReceived: 0, unparseableReplies: 0 };
      const quota = Math.ceil(MESSAGES / CONNECTIONS);
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => fuzzConnection(ctx.wsUrl, new MessageFuzzer(SEED + i, MAX_PAYLOAD), quota, report)));
      const floodClose = await flood(ctx.wsUrl, report);
      t.diagnostic(`fuzz report: ${JSON.stringify(report)}`);

      assert.ok(report.sent >= MESSAGES);
      assert.equal(report.unparseableReplies, 0, 'every text reply is JSON');
      for (const type of Object.keys(report.repliesByType)) assert.ok(REPLY_TYPES.has(type), `unexpected reply type ${type}`);
      for (const code of Object.keys(report.errorsByCode)) assert.ok(DOCUMENTED_ERROR_CODES.has(code), `undocumented error code ${code}`);
      for (const code of ['BAD_JSON', 'BAD_MESSAGE', 'UNKNOWN_TYPE', 'UNEXPECTED_BINARY', 'UNKNOWN_STREAM', 'REJECTED']) {
        assert.ok((report.errorsByCode[code] ?? 0) > 0, `some ${code} replies (${JSON.stringify(report.errorsByCode)})`);
      }
      // Server-initiated closes: 1007 invalid UTF-8, 1008 flood, 1009 oversize; 1000 is ours.
      for (const code of Object.keys(report.closesByCode)) assert.ok(['1000', '1007', '1008', '1009'].includes(code), `unexpected close ${code}`);
      assert.ok((report.closesByCode['1009'] ?? 0) > 0 && (report.closesByCode['1007'] ?? 0) > 0, JSON.stringify(report.closesByCode));
      assert.equal(floodClose, 1008, 'a flood is closed with 1008');
      assert.ok((report.repliesByType['pong'] ?? 0) > 0, 'valid pings were answered amid the noise');

      await waitFor(() => ctx.server.clientCount === 0, { what: 'every fuzz client to be gone', timeoutMs: 10_000 });
      const after = await settledMemory();
      const growth = { heapMiB: (after.heapUsed - before.heapUsed) / MiB, buffersMiB: (after.arrayBuffers - before.arrayBuffers) / MiB };
      t.diagnostic(`memory growth after the fuzz: ${JSON.stringify(growth)}`);
      assert.ok(growth.heapMiB < 64 && growth.buffersMiB < 64, `memory stays bounded: ${JSON.stringify(growth)}`);

      await assertStillServing(ctx);
    } finally {
      clearInterval(publisher);
      await ctx.server.close();
    }
  });

  it('raw TCP abuse: broken frames get protocol close codes, garbage gets HTTP 400; the server carries on', async (t) => {
    const ctx = await startTestServer({ maxPayloadBytes: MAX_PAYLOAD });
    try {
      const random = seededRandom(SEED);
      const outcomes: Record<string, number> = {};
      for (const frame of brokenFrames(random)) {
        const { closeCode } = await rawSession(ctx.port, frame, true);
        count(outcomes, `close ${closeCode ?? 'none'}`);
        assert.ok(closeCode === undefined || [1002, 1007, 1009].includes(closeCode), `close code ${closeCode} for ${frame.subarray(0, 4).toString('hex')}`);
      }
      for (let i = 0; i < 10; i++) {
        const garbage = Buffer.from(Array.from({ length: 50 + Math.floor(random() * 500) }, () => Math.floor(random() * 256)));
        const { httpStatus } = await rawSession(ctx.port, garbage, false);
        count(outcomes, `http ${httpStatus ?? 'none'}`);
        assert.ok(httpStatus === undefined || httpStatus === 400, `HTTP ${httpStatus} for garbage`);
      }
      t.diagnostic(`raw session outcomes: ${JSON.stringify(outcomes)}`);
      assert.ok((outcomes['close 1002'] ?? 0) >= 3, JSON.stringify(outcomes));
      await assertStillServing(ctx);
    } finally {
      await ctx.server.close();
    }
  });
});

async function assertStillServing(ctx: TestServer): Promise<void> {
  const fresh = await RecordingClient.connect(ctx.wsUrl);
  try {
    fresh.ws.send(JSON.stringify({ type: 'ping', id: 'after' }));
    await fresh.waitFor(() => fresh.messages.find((m) => m.type === 'pong' && m['id'] === 'after'), 'pong');
    const frames = fresh.moreFrames(2, 'cam', 10_000);
    for (let i = 0; i < 3; i++) await ctx.server.publishFrame(syntheticFrame('cam', 100_000 + i), syntheticInference());
    await frames;
    const health = await fetch(`${ctx.httpUrl}/healthz`);
    assert.equal(health.status, 200);
  } finally {
    fresh.close();
  }
}
