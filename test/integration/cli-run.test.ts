/** `decorruptor run` replays every frame of a file: exactly one JSON line per frame (ffprobe's count). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { CliProcess, FIXTURE_BUNDLE } from '../helpers/reliability-cli.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';
import { tempDir } from '../helpers/temp-dir.js';

const exec = promisify(execFile);

/** `decorruptor run ...args`, waited for: the exit code and stderr. */
async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const cli = new CliProcess(['run', ...args]);
  const { code } = await cli.exited;
  return { code, stderr: cli.stderr };
}

async function ffprobeFrameCount(file: string): Promise<number> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

test('writes exactly one line per frame, in order, with the documented fields', async (t) => {
  const dir = await tempDir(t, 'cli-run-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 75, width: 80, height: 60, fps: 25 });
  const out = join(dir, 'results.jsonl');
  const summaryFile = join(dir, 'summary.json');
  const { code, stderr } = await run(['--source', clip, '--out', out, '--bundle', FIXTURE_BUNDLE, '--batch', '8', '--summary', summaryFile]);
  assert.equal(code, 0, stderr);

  const lines = readFileSync(out, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(lines.length, await ffprobeFrameCount(clip));
  assert.deepEqual(lines.map((l) => l.seq), [...Array(lines.length).keys()]);
  for (const key of ['streamId', 'seq', 'ptsMs', 'label', 'confidence', 'source', 'edited', 'timings']) assert.ok(key in lines[0], key);
  assert.equal(typeof lines[0].source.label, 'string');
  assert.equal(typeof lines[0].edited.confidence, 'number');
  assert.equal(lines[1].ptsMs, 40);
  const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  assert.equal(summary.frames, lines.length);
  assert.match(stderr, /75 frames in/);
});

test("each editor runs its own step count unless --steps says otherwise (dpm: the bundle's 20, not cm's 4)", async (t) => {
  const dir = await tempDir(t, 'cli-run-');
  const clip = await makeTestClip(join(dir, 'clip.mp4'), { frames: 4, width: 32, height: 32, fps: 25 });
  const editorRun = async (...args: string[]) => {
    const summaryFile = join(dir, 'summary.json');
    const { code, stderr } = await run(['--source', clip, '--out', join(dir, 'r.jsonl'), '--bundle', FIXTURE_BUNDLE, '--summary', summaryFile, ...args]);
    assert.equal(code, 0, stderr);
    const { editor, steps } = JSON.parse(readFileSync(summaryFile, 'utf8'));
    return `${editor}/${steps}`;
  };
  assert.equal(await editorRun(), 'cm/4');
  assert.equal(await editorRun('--editor', 'dpm'), 'dpm/20');
  assert.equal(await editorRun('--editor', 'dpm', '--steps', '10'), 'dpm/10');
});

test('a missing file fails with exit 1 and names the file', async (t) => {
  const dir = await tempDir(t, 'cli-run-');
  const missing = join(dir, 'nope.mp4');
  const { code, stderr } = await run(['--source', missing, '--out', join(dir, 'x.jsonl'), '--bundle', FIXTURE_BUNDLE]);
  assert.equal(code, 1);
  assert.match(stderr, /nope\.mp4/);
  assert.match(stderr, /SOURCE_UNREADABLE/);
});

test('a bad flag value exits 2 naming the flag', async (t) => {
  const dir = await tempDir(t, 'cli-run-');
  const { code, stderr } = await run(['--source', 'x.mp4', '--out', join(dir, 'y.jsonl'), '--batch', 'many']);
  assert.equal(code, 2);
  assert.match(stderr, /--batch/);
});
