// The demo clip: CIFAR-format images -> lossless video -> decoded by FrameSource like any source.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { prepareDemoClip } from '../../src/flow/demo-clip.js';
import { loadCifar10 } from '../../src/data/cifar10.js';
import { FrameSource } from '../../src/stream/source.js';
import { tinyCifarDir } from '../fixtures/cifar-tiny/generate.js';

const DATA = tinyCifarDir();
const execFileAsync = promisify(execFile);
let cacheDir: string;

before(() => {
  cacheDir = mkdtempSync(path.join(tmpdir(), 'demo-clip-'));
});
after(() => rmSync(cacheDir, { recursive: true, force: true }));

describe('prepareDemoClip', { timeout: 30_000 }, () => {
  it('writes the test images as a lossless 32x32 video that FrameSource decodes back exactly', async () => {
    const clip = await prepareDemoClip({ dataDir: DATA, count: 6, fps: 2, cacheDir });
    assert.equal(clip.count, 6);
    assert.equal(path.extname(clip.file), '.mkv');

    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames,avg_frame_rate', '-of', 'json', clip.file]);
    const stream = JSON.parse(stdout).streams[0];
    assert.deepEqual([stream.codec_name, stream.width, stream.height, Number(stream.nb_read_frames), stream.avg_frame_rate], ['ffv1', 32, 32, 6, '2/1']);

    const set = await loadCifar10(DATA, 'test', 6);
    const source = await FrameSource.create({ id: 'demo', url: clip.file, mode: 'replay', width: 32, height: 32, fit: 'crop' });
    const frames = lastValueFrom(source.frames$.pipe(tap(() => source.release()), toArray()));
    source.start();
    const decoded = await frames;
    assert.equal(decoded.length, 6);
    decoded.forEach((frame, i) => {
      assert.deepEqual(frame.data, set.images[i], `frame ${i} is the image, bit for bit`);
      assert.equal(clip.truthAt(frame.ptsMs), set.labels[set.targets[i]], `truth of frame ${i} (ptsMs ${frame.ptsMs})`);
    });
  });

  it('maps ptsMs to the image shown then, wrapping when the clip replays', async () => {
    const clip = await prepareDemoClip({ dataDir: DATA, count: 6, fps: 2, cacheDir });
    const truth = (i: number) => clip.truths[i];
    assert.equal(clip.truthAt(0), truth(0));
    assert.equal(clip.truthAt(499), truth(0));
    assert.equal(clip.truthAt(500), truth(1));
    assert.equal(clip.truthAt((1000 / 3) * 3 * 0.5), truth(1)); // float ptsMs landing just under a boundary
    assert.equal(clip.truthAt(3000 + 1200), truth(2), 'after 3 s the 6-image clip starts over');
    assert.equal(clip.truthAt(-5), truth(0));
  });

  it('reuses the cached clip: no re-encode, and no data set needed', async () => {
    const first = await prepareDemoClip({ dataDir: DATA, count: 6, fps: 2, cacheDir });
    const mtime = statSync(first.file).mtimeMs;
    const again = await prepareDemoClip({ dataDir: path.join(cacheDir, 'no-such-data'), count: 6, fps: 2, cacheDir });
    assert.equal(again.file, first.file);
    assert.equal(statSync(again.file).mtimeMs, mtime);
    assert.deepEqual(again.truths, first.truths);
  });

  it('holds fewer images when the data set has fewer than asked', async () => {
    const clip = await prepareDemoClip({ dataDir: DATA, count: 50, fps: 1, cacheDir });
    assert.equal(clip.count, 20);
  });
});
