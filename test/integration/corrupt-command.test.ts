// `decorruptor corrupt` on a tiny generated clip (testsrc2 64x48, 12 frames).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { run } from '../../src/cli/commands/corrupt.js';
import { UsageError, exitCodeFor } from '../../src/cli/errors.js';
import { makeTestClip } from '../helpers/stream-ffmpeg.js';

const execFileAsync = promisify(execFile);
let dir: string;
let clip: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'corrupt-cmd-'));
  clip = await makeTestClip(path.join(dir, 'clip.mp4'), { frames: 12, width: 64, height: 48, fps: 12 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function probeStream(file: string): Promise<{ frames: number; width: number; height: number; fps: string; pixFmt: string }> {
  const { stdout } = await execFileAsync('ffprobe', [
    '-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames,width,height,r_frame_rate,pix_fmt', '-of', 'json', file,
  ]);
  const s = JSON.parse(stdout).streams[0];
  return { frames: Number(s.nb_read_frames), width: s.width, height: s.height, fps: s.r_frame_rate, pixFmt: s.pix_fmt };
}

async function decodeRgb(file: string): Promise<Buffer> {
  const { stdout } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return stdout;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** Runs the command with its progress/summary lines on stderr silenced. */
async function corruptQuietly(argv: string[]): Promise<number> {
  const write = process.stderr.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await run(argv);
  } finally {
    process.stderr.write = write;
  }
}

describe('decorruptor corrupt', { timeout: 60_000 }, () => {
  it('writes one corrupted frame per input frame, at the input rate', async () => {
    const out = path.join(dir, 'fog.mp4');
    assert.equal(await corruptQuietly(['--in', clip, '--out', out, '--type', 'fog', '--severity', '4', '--seed', '3']), 0);
    const input = await probeStream(clip);
    const output = await probeStream(out);
    assert.equal(input.frames, 12);
    assert.equal(output.frames, input.frames);
    assert.deepEqual([output.width, output.height, output.fps, output.pixFmt], [64, 48, '12/1', 'yuv420p']);
    // Fog at severity 4 changes the picture far beyond re-encoding error.
    assert.ok(meanAbsDiff(await decodeRgb(clip), await decodeRgb(out)) > 10);
  });

  it('cycles the corruption types with --type cycle, and resizes with --width', async () => {
    const out = path.join(dir, 'cycle.mp4');
    assert.equal(await corruptQuietly(['--in', clip, '--out', out, '--type', 'cycle', '--period', '0.25', '--severity', '5', '--width', '32']), 0);
    const output = await probeStream(out);
    assert.deepEqual([output.frames, output.width, output.height], [12, 32, 24]);
  });

  for (const [argv, flag] of [
    [['--type', 'smoke'], '--type'],
    [['--type', 'fog', '--severity', '0'], '--severity'],
    [['--type', 'fog', '--width', '33'], '--width'],
    [['--type', 'fog', '--period', '2'], '--period'],
  ] as const) {
    it(`exits 2 naming ${flag} for ${argv.join(' ')}`, async () => {
      const out = path.join(dir, 'never.mp4');
      await assert.rejects(run(['--in', clip, '--out', out, ...argv]), (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.equal(exitCodeFor(error), 2);
        assert.ok(error.message.includes(flag), error.message);
        return true;
      });
      assert.equal(existsSync(out), false);
    });
  }

  it('fails with SOURCE_UNREADABLE for a missing input', async () => {
    await assert.rejects(run(['--in', path.join(dir, 'missing.mp4'), '--out', path.join(dir, 'x.mp4'), '--type', 'fog']), { code: 'SOURCE_UNREADABLE' });
  });
});
