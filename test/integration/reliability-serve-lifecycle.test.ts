/**
 * The whole `serve` / `run` process, spawned as a user would: ffmpeg killed under it, SIGTERM and
 * SIGINT. Sources are tiny lavfi graphs at a low rate (the machine is shared with other work).
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { childPids, CliProcess, commandLine, FIXTURE_BUNDLE, getJson, processExists, REPO_ROOT, type ServeProcess } from '../helpers/reliability-cli.js';
import { withServe } from '../helpers/serve-session.js';
import { waitFor } from '../helpers/wait.js';

const LAVFI_A = 'a=lavfi:testsrc2=size=96x72:rate=8';
const LAVFI_B = 'b=lavfi:testsrc=size=96x72:rate=8';

describe('serve: a killed ffmpeg is restarted, SIGTERM shuts down cleanly', { timeout: 120_000 }, () => {
  const SERVE = ['--bundle', FIXTURE_BUNDLE, '--source', LAVFI_A, '--source', LAVFI_B];
  const twoFfmpegs = (serve: ServeProcess) =>
    waitFor(() => childPids(serve.cli.pid, 'ffmpeg').length === 2 && childPids(serve.cli.pid, 'ffmpeg'), { what: 'two ffmpeg children' });

  // cli-serve.test.ts checks the single-stream case; here the other stream must not notice.
  it('two streams: a SIGKILLed ffmpeg restarts alone (reconnecting, running, discontinuity); the other and /readyz are undisturbed', () =>
    withServe(SERVE, { ready: true }, async (serve, client) => {
      await client.moreFrames(2, 'a');
      const ffmpegs = await twoFfmpegs(serve);
      // Which ffmpeg decodes stream a: its command line names the graph.
      const victim = ffmpegs.find((pid) => /testsrc2/.test(commandLine(pid)))!;
      assert.ok(victim, 'found the ffmpeg of stream a');
      const statesBefore = client.states('a').length;
      process.kill(victim, 'SIGKILL');

      const reconnecting = await client.waitFor(() => client.states('a').slice(statesBefore).find((m) => m.state === 'reconnecting'), "'reconnecting' for a");
      assert.match(String(reconnecting.message), /SIGKILL/);
      assert.equal(reconnecting.attempt, 1);
      await client.waitFor(() => client.states('a').slice(statesBefore).find((m) => m.state === 'running'), "'running' again for a");
      const [firstAfter] = await client.moreFrames(1, 'a');
      const resumed = client.frames.filter((f) => f.streamId === 'a' && f.discontinuity && f.seq > 0);
      assert.ok(resumed.length >= 1, `a frame after the restart is marked discontinuity (first after: seq ${firstAfter!.seq})`);
      assert.equal(processExists(victim), false);
      const replacement = await waitFor(() => childPids(serve.cli.pid, 'ffmpeg').find((pid) => /testsrc2/.test(commandLine(pid))), { what: 'a new ffmpeg for a' });
      assert.notEqual(replacement, victim);
      assert.equal(client.states('b').filter((m) => m.state === 'reconnecting').length, 0, 'stream b was not disturbed');
      assert.equal((await getJson(`${serve.httpUrl}/readyz`)).status, 200);
    }));

  it('SIGTERM: exits 0 within seconds, clients get 1001, no ffmpeg is left', () =>
    withServe(SERVE, { ready: true }, async (serve, client) => {
      await twoFfmpegs(serve);
      const ffmpegs = childPids(serve.cli.pid, 'ffmpeg');
      assert.equal(ffmpegs.length, 2);
      serve.cli.child.kill('SIGTERM');
      const exit = await serve.cli.exit(10_000);
      assert.deepEqual(exit, { code: 0, signal: null, forced: false }, serve.cli.stderr);
      assert.equal((await client.closed).code, 1001);
      for (const pid of ffmpegs) assert.equal(processExists(pid), false, `ffmpeg ${pid} is gone`);
      assert.match(serve.cli.stderr, /SIGTERM: shutting down/);
    }));
});

describe('run: SIGINT mid-file flushes the JSONL and leaves no ffmpeg', { timeout: 120_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reliability-run-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('every line written is complete JSON; exit 130; ffmpeg gone', async () => {
    const clip = join(dir, 'long.mp4');
    // 1200 frames at 24 fps: 50 s of video, replayed in real time so SIGINT lands mid-file.
    await promisify(execFile)('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=24',
      '-frames:v', '1200', '-c:v', 'mpeg4', '-q:v', '5', '-pix_fmt', 'yuv420p', clip,
    ]);
    const out = join(dir, 'out.jsonl');
    const cli = new CliProcess(['run', '--source', clip, '--out', out, '--bundle', FIXTURE_BUNDLE, '--realtime', '--editor', 'none']);
    try {
      const ffmpeg = await waitFor(() => childPids(cli.pid, 'ffmpeg')[0], { what: 'the decoding ffmpeg', timeoutMs: 60_000 });
      await waitFor(async () => (await readFile(out, 'utf8').catch(() => '')).split('\n').length > 20, { what: '20 lines of output', timeoutMs: 60_000 });
      cli.child.kill('SIGINT');
      const exit = await cli.exit(15_000);
      assert.equal(exit.forced, false, `exited by itself; stderr:\n${cli.stderr}`);
      assert.equal(exit.code, 130, cli.stderr);
      assert.equal(processExists(ffmpeg), false, 'ffmpeg is gone');

      const text = await readFile(out, 'utf8');
      assert.ok(text.endsWith('\n'), 'the last line is complete');
      const lines = text.trimEnd().split('\n');
      assert.ok(lines.length >= 20 && lines.length < 1200, `stopped mid-file (${lines.length} lines)`);
      const seqs = lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
      assert.deepEqual(seqs, seqs.map((_, i) => i), 'frames in order, none missing');
    } finally {
      await cli.kill();
    }
  });
});

describe('shutdown watchdog', { timeout: 60_000 }, () => {
  it('a cleanup that hangs still ends the process: exit 1 after forceExitAfterMs, saying why', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reliability-watchdog-'));
    try {
      const script = join(dir, 'hang.mts');
      const shutdownModule = pathToFileURL(join(REPO_ROOT, 'src/runtime/shutdown.ts')).href;
      const loggerModule = pathToFileURL(join(REPO_ROOT, 'src/log/logger.ts')).href;
      await writeFile(
        script,
        `import { onShutdownSignal } from '${shutdownModule}';\n` +
          `import { createLogger } from '${loggerModule}';\n` +
          `onShutdownSignal(() => new Promise(() => {}), createLogger('info'), { forceExitAfterMs: 300 });\n` +
          `setInterval(() => {}, 1000);\n` +
          `console.log('ready');\n`,
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code))); // 'close': stderr read to the end
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /shutdown did not finish within 300 ms/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
