/**
 * Bad inputs next to a good one: a file of random bytes named .mp4, an audio-only file, a missing
 * file, a folder (an unreadable path even for root), a URL that answers 404, a bad corruption spec. `serve` shows each as failed (state 'error', a stable
 * code, a message naming the source) and the good stream keeps delivering frames; `run` and a
 * serve with nothing usable fail fast with exit 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { CliProcess, FIXTURE_BUNDLE, getJson, type ServeProcess } from '../helpers/reliability-cli.js';
import { RecordingClient, type JsonMessage } from '../helpers/reliability-ws.js';
import { withServe } from '../helpers/serve-session.js';
import { tempDir } from '../helpers/temp-dir.js';

let dir: string;
let notFound: Server;
let notFoundUrl: string;
const requests: string[] = [];
const files = { garbage: '', audio: '', missing: '', folder: '' };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reliability-bad-'));
  files.garbage = join(dir, 'garbage.mp4');
  await writeFile(files.garbage, randomBytes(64 * 1024));
  files.audio = join(dir, 'tone.m4a');
  await promisify(execFile)('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', files.audio]);
  files.missing = join(dir, 'nope.mp4');
  files.folder = join(dir, 'folder.mp4');
  await mkdir(files.folder);
  notFound = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  await new Promise<void>((resolve) => notFound.listen(0, '127.0.0.1', resolve));
  notFoundUrl = `http://127.0.0.1:${(notFound.address() as AddressInfo).port}/cam/live.mp4`;
});

after(async () => {
  await new Promise<void>((resolve) => notFound.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

describe('serve with one good source and six bad ones', { timeout: 120_000 }, () => {
  /** Each case runs its own serve with all seven sources, a client connected from the start. */
  async function withBadSources(t: TestContext, body: (serve: ServeProcess, early: RecordingClient) => Promise<void>): Promise<void> {
    const config = join(await tempDir(t, 'reliability-bad-serve-'), 'config.json');
    await writeFile(
      config,
      JSON.stringify({
        sources: [
          { id: 'good', url: 'lavfi:testsrc2=size=96x72:rate=8' },
          { id: 'garbage', url: files.garbage },
          { id: 'audio', url: files.audio },
          { id: 'missing', url: files.missing },
          { id: 'folder', url: files.folder },
          { id: 'gone', url: notFoundUrl, restart: { maxAttempts: 1, initialDelayMs: 100, maxDelayMs: 200 } },
          { id: 'weird', url: 'lavfi:testsrc=size=96x72:rate=8', corrupt: 'lava:9' },
        ],
      }),
    );
    requests.length = 0;
    await withServe(['--config', config, '--bundle', FIXTURE_BUNDLE], {}, body);
  }
  /** The 404 source fails only after its restart. */
  const goneFailed = (early: RecordingClient) => early.waitFor(() => early.states('gone').find((m) => m.state === 'error'), "'error' for gone", 30_000);

  it('keeps the good stream running and delivering frames', (t) =>
    withBadSources(t, async (serve, early) => {
      await early.moreFrames(3, 'good', 30_000);
      assert.equal((await getJson(`${serve.httpUrl}/readyz`)).status, 200);
      assert.equal(serve.cli.running, true);
    }));

  it('shows every bad source as failed, with a code and a message naming it, in hello', (t) =>
    withBadSources(t, async (serve, early) => {
      // The 404 source fails only after its restart: wait for it, then ask as a fresh client.
      await goneFailed(early);
      const fresh = await RecordingClient.connect(serve.wsUrl);
      try {
        const streams = new Map((fresh.hello!.streams as JsonMessage[]).map((s) => [s['id'] as string, s]));
        const expected: [string, string, RegExp][] = [
          ['garbage', 'SOURCE_UNREADABLE', /garbage\.mp4/],
          ['audio', 'SOURCE_UNREADABLE', /no video stream/],
          ['missing', 'SOURCE_UNREADABLE', /nope\.mp4/],
          ['folder', 'SOURCE_UNREADABLE', /folder\.mp4/],
          ['gone', 'SOURCE_FAILED', /404/],
          ['weird', 'CORRUPTION_INVALID', /lava/],
        ];
        for (const [id, code, detail] of expected) {
          const stream = streams.get(id);
          assert.ok(stream, `hello lists ${id}`);
          assert.equal(stream.state, 'error', `${id} state`);
          assert.equal(stream.code, code, `${id} code`);
          assert.match(String(stream.message), new RegExp(`source "${id}"`), `${id}: the message names the source`);
          assert.match(String(stream.message), detail, `${id}: the message says what is wrong`);
        }
        // On a loaded machine the good source may still be starting when the 404 one has given up:
        // its frames are what proves it runs beside six failed ones.
        assert.match(String(streams.get('good')!.state), /^(starting|running)$/);
        await fresh.moreFrames(2, 'good', 30_000);
      } finally {
        fresh.close();
      }
    }));

  it("reports the 404 source's outage as it happens: reconnecting (quoting ffmpeg), then error", (t) =>
    withBadSources(t, async (_serve, early) => {
      await goneFailed(early);
      const states = early.states('gone');
      const reconnecting = states.find((m) => m.state === 'reconnecting');
      assert.ok(reconnecting, `states: ${JSON.stringify(states)}`);
      assert.match(String(reconnecting.message), /404/);
      const failed = states.find((m) => m.state === 'error')!;
      assert.equal(failed.code, 'SOURCE_FAILED');
      assert.ok(requests.length >= 2, `ffmpeg asked the server again after the first 404 (${requests.length} requests)`);
    }));

  it('logs each failure on stderr, naming the source', (t) =>
    withBadSources(t, async (serve) => {
      for (const id of ['garbage', 'audio', 'missing', 'folder', 'gone', 'weird']) {
        const line = new RegExp(`"stream":"${id}","state":"error"`);
        await serve.cli.waitForStderr(line);
        assert.match(serve.cli.stderr, line, id);
      }
    }));
});

describe('nothing usable: fail fast with exit 1', { timeout: 120_000 }, () => {
  it('run --source garbage.mp4: exit 1, the file and SOURCE_UNREADABLE on stderr', async (t) => {
    const out = join(await tempDir(t, 'reliability-bad-run-'), 'out.jsonl');
    const cli = new CliProcess(['run', '--source', files.garbage, '--out', out, '--bundle', FIXTURE_BUNDLE]);
    const exit = await cli.exit(60_000);
    assert.deepEqual(exit, { code: 1, signal: null, forced: false }, cli.stderr);
    assert.match(cli.stderr, /garbage\.mp4/);
    assert.match(cli.stderr, /\[SOURCE_UNREADABLE\]/);
  });

  it('serve with only bad files: exit 1 naming every source, no server left listening', async () => {
    const cli = new CliProcess(['serve', '--port', '0', '--bundle', FIXTURE_BUNDLE, '--source', `x=${files.garbage}`, '--source', `y=${files.missing}`]);
    const exit = await cli.exit(60_000);
    assert.deepEqual(exit, { code: 1, signal: null, forced: false }, cli.stderr);
    assert.match(cli.stderr, /\[ALL_SOURCES_FAILED\]/);
    assert.match(cli.stderr, /source "x".*garbage\.mp4.*\[SOURCE_UNREADABLE\]/);
    assert.match(cli.stderr, /source "y".*nope\.mp4.*\[SOURCE_UNREADABLE\]/);
  });
});

