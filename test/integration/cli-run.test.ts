/** `decorruptor run` replays every frame of a file: exactly one JSON line per frame (ffprobe's count). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { FIXTURE_BUNDLE, spawnCli } from '../helpers/cli.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cli-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function ffprobeFrameCount(file: string): Promise<number> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

test('writes exactly one line per frame, in order, with the documented fields', async () => {
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 75, width: 80, height: 60, fps: 25 });
  const out = join(dir, 'results.jsonl');
  const summaryFile = join(dir, 'summary.json');
  const cli = spawnCli(['run', '--source', clip, '--out', out, '--bundle', FIXTURE_BUNDLE, '--batch', '8', '--summary', summaryFile]);
  assert.equal(await cli.exited, 0, cli.stderr());

  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, await ffprobeFrameCount(clip));
  assert.deepEqual(lines.map((l) => l.seq), [...Array(lines.length).keys()]);
  for (const key of ['streamId', 'seq', 'ptsMs', 'label', 'confidence', 'source', 'edited', 'timings']) assert.ok(key in lines[0], key);
  assert.equal(typeof lines[0].source.label, 'string');
  assert.equal(typeof lines[0].edited.confidence, 'number');
  assert.equal(lines[1].ptsMs, 40);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  assert.equal(summary.frames, lines.length);
  assert.match(cli.stderr(), /75 frames in/);
});

test('a missing file fails with exit 1 and names the file', async () => {
  const missing = join(dir, 'nope.mp4');
  const cli = spawnCli(['run', '--source', missing, '--out', join(dir, 'x.jsonl'), '--bundle', FIXTURE_BUNDLE]);
  assert.equal(await cli.exited, 1);
  assert.match(cli.stderr(), /nope\.mp4/);
  assert.match(cli.stderr(), /SOURCE_UNREADABLE/);
});

test('a bad flag value exits 2 naming the flag', async () => {
  const cli = spawnCli(['run', '--source', 'x.mp4', '--out', join(dir, 'y.jsonl'), '--batch', 'many']);
  assert.equal(await cli.exited, 2);
  assert.match(cli.stderr(), /--batch/);
});
