/**
 * The bundled npm ffmpeg/ffprobe (@ffmpeg-installer, @ffprobe-installer), forced with
 * DECORRUPTOR_FFMPEG=bundled, runs what the product runs: a lavfi source, and a demo-style clip
 * (FFV1 in Matroska written from rgb24 through stdin, probed by ffprobe, decoded live at 32x32).
 * And with no ffmpeg anywhere, a source fails at once with FFMPEG_UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { encodeRawVideo } from '../../src/sinks/video-encoder.js';
import { ffmpegBinaries, FrameSource, type FrameSourceOptions } from '../../src/stream/index.js';

// Set before anything asks for ffmpeg: the choice is made once per process (each test file runs
// in its own process under node --test).
process.env.DECORRUPTOR_FFMPEG = 'bundled';

const dir = mkdtempSync(path.join(tmpdir(), 'ffmpeg-fallback-'));
const started: FrameSource[] = [];

async function firstFrames(options: FrameSourceOptions, count: number) {
  const source = await FrameSource.create(options);
  started.push(source);
  const frames = firstValueFrom(source.frames$.pipe(take(count), toArray(), timeout(20_000)));
  source.start();
  const result = await frames;
  return { source, frames: result };
}

/** The executable a running process was started from (Linux). */
function exeOf(pid: number): string {
  return readlinkSync(`/proc/${pid}/exe`);
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((source) => source.stop()));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ffmpeg fallback: the bundled npm binaries (DECORRUPTOR_FFMPEG=bundled)', { timeout: 60_000 }, () => {
  let bundled: ReturnType<typeof ffmpegBinaries>;
  before(() => {
    bundled = ffmpegBinaries();
  });

  it('resolves to the binaries of @ffmpeg-installer and @ffprobe-installer', () => {
    assert.equal(bundled.origin, 'bundled');
    assert.equal(bundled.ffprobeOrigin, 'bundled');
    assert.match(bundled.ffmpegPath, /node_modules[/\\]@ffmpeg-installer[/\\]/);
    assert.match(bundled.ffprobePath, /node_modules[/\\]@ffprobe-installer[/\\]/);
    assert.ok(bundled.version.length > 0);
    assert.equal(ffmpegBinaries(), bundled, 'resolved once, then cached');
  });

  it('decodes a lavfi testsrc2 source to rgb24 frames, with the bundled ffmpeg running', async () => {
    const { source, frames } = await firstFrames(
      { id: 'lavfi', url: 'lavfi:testsrc2=size=64x64:rate=10', mode: 'live', width: 64, height: 64, fit: 'pad' },
      3,
    );
    assert.deepEqual(frames.map((frame) => frame.seq), [0, 1, 2]);
    for (const frame of frames) assert.equal(frame.data.length, 64 * 64 * 3);
    assert.equal(exeOf(source.pid!), bundled.ffmpegPath);
  });

  it('writes a demo-style FFV1 clip, probes it and plays it live at 32x32, losslessly', async () => {
    // Three solid 32x32 images, as the demo writes CIFAR-10 test images (src/sinks/video-encoder.ts, FFV1, .mkv).
    const colours = [[250, 10, 10], [10, 250, 10], [10, 10, 250]];
    const images = colours.map(([r, g, b]) => {
      const image = new Uint8Array(32 * 32 * 3);
      for (let i = 0; i < image.length; i += 3) image.set([r, g, b], i);
      return image;
    });
    const file = path.join(dir, 'demo.mkv');
    const sink = await encodeRawVideo({ output: file, width: 32, height: 32, fps: 10, codec: 'ffv1' });
    assert.equal(exeOf(sink.pid!), bundled.ffmpegPath);
    for (const image of images) await sink.write(image);
    assert.deepEqual(await sink.close(), { output: file, frames: 3 });

    // The demo's source config: a file, live, paced at its own rate, 32x32 crop (probed by ffprobe).
    const { source, frames } = await firstFrames(
      { id: 'demo', url: file, mode: 'live', realtime: true, width: 32, height: 32, fit: 'crop' },
      3,
    );
    assert.equal(source.probed?.codec, 'ffv1');
    assert.equal(source.probed?.width, 32);
    assert.equal(source.probed?.fps, 10);
    assert.deepEqual(frames.map((frame) => frame.ptsMs), [0, 100, 200]);
    frames.forEach((frame, i) => assert.deepEqual(frame.data, images[i], `frame ${i} decodes to the image written`));
  });

  it('with no ffmpeg on PATH and only the system one allowed, sources fail with FFMPEG_UNAVAILABLE', async () => {
    // A process of its own: the choice is cached per process, and this one has chosen 'bundled'.
    const emptyPath = path.join(dir, 'empty-path');
    mkdirSync(emptyPath);
    const script = `
      import { FrameSource } from './src/stream/index.ts';
      const codes = {};
      const live = await FrameSource.create({ id: 'lavfi', url: 'lavfi:testsrc2=size=64x64:rate=10', mode: 'live', width: 64, height: 64, fit: 'pad' });
      const failed = new Promise((resolve) => live.states$.subscribe((event) => event.state === 'error' && resolve(event.error)));
      live.frames$.subscribe({ error: () => {} });
      live.start();
      const error = await failed;
      codes.live = error.code;
      codes.message = error.message;
      await FrameSource.create({ id: 'file', url: ${JSON.stringify(path.join(dir, 'demo.mkv'))}, width: 32, height: 32, fit: 'crop' })
        .catch((error) => (codes.probe = error.code));
      console.log(JSON.stringify(codes));
    `;
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, PATH: emptyPath, DECORRUPTOR_FFMPEG: 'system', FFMPEG_PATH: '', FFPROBE_PATH: '' },
      timeout: 30_000,
    });
    const codes = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, string>;
    assert.equal(codes.live, 'FFMPEG_UNAVAILABLE');
    assert.equal(codes.probe, 'FFMPEG_UNAVAILABLE');
    assert.match(codes.message, /^source "lavfi" \(lavfi:testsrc2=size=64x64:rate=10\): ffmpeg was not found \(no ffmpeg on PATH\)/);
  });
});
