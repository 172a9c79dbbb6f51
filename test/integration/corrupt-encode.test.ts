// encodeRawVideo against the real ffmpeg binary.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { EncodeError, encodeArgv, encodeRawVideo, fpsToRational, pickEncoder } from '../../src/sinks/video-encoder.js';

const execFileAsync = promisify(execFile);
let dir: string;

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'encode-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function gradient(width: number, height: number, shift: number): Uint8Array {
  return Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 3 + shift * 17) % 256);
}

async function decodeRgb(file: string): Promise<Buffer> {
  const { stdout } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], { encoding: 'buffer', maxBuffer: 1 << 26 });
  return stdout;
}

const withCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof EncodeError, String(error));
  assert.equal(error.code, code);
  return true;
};

describe('encodeArgv and fpsToRational', () => {
  it('reads rgb24 from stdin at the exact rate and writes the chosen codec', () => {
    const argv = encodeArgv({ output: 'o.mp4', width: 64, height: 48, fps: 30000 / 1001, codec: 'libx264', pixelFormat: 'yuv420p', outputArgs: ['-crf', '18'] });
    const at = (flag: string) => argv[argv.indexOf(flag) + 1];
    assert.equal(at('-f'), 'rawvideo');
    assert.equal(at('-video_size'), '64x48');
    assert.equal(at('-framerate'), '30000/1001');
    assert.equal(at('-i'), 'pipe:0');
    assert.equal(at('-c:v'), 'libx264');
    assert.deepEqual(argv.slice(-3), ['-crf', '18', 'o.mp4']);
    assert.ok(argv.includes('-y'));
  });

  it('turns frame rates into exact rationals', () => {
    assert.equal(fpsToRational(25), '25');
    assert.equal(fpsToRational(24000 / 1001), '24000/1001');
    assert.equal(fpsToRational(0.5), '1/2');
    assert.equal(fpsToRational(12.5), '25/2');
    assert.equal(fpsToRational('30000/1001'), '30000/1001');
  });
});

describe('encodeRawVideo', { timeout: 30_000 }, () => {
  it('writes a lossless FFV1 file that decodes to the same bytes, frame for frame', async () => {
    const output = path.join(dir, 'lossless.mkv');
    const frames = [0, 1, 2, 3, 4].map((k) => gradient(32, 24, k));
    const sink = await encodeRawVideo({ output, width: 32, height: 24, fps: 2 });
    for (const frame of frames) await sink.write(frame);
    assert.deepEqual(await sink.close(), { output, frames: 5 });
    assert.ok((await decodeRgb(output)).equals(Buffer.concat(frames)));
  });

  it('waits for the pipe (backpressure) and loses nothing on a larger encode', async () => {
    const output = path.join(dir, 'big.mkv');
    const sink = await encodeRawVideo({ output, width: 320, height: 240, fps: 25 });
    for (let k = 0; k < 40; k++) await sink.write(gradient(320, 240, k));
    await sink.close();
    assert.equal((await decodeRgb(output)).length, 40 * 320 * 240 * 3);
  });

  it('rejects a frame of the wrong size (ENCODE_INVALID)', async () => {
    const sink = await encodeRawVideo({ output: path.join(dir, 'size.mkv'), width: 8, height: 8, fps: 1 });
    await assert.rejects(sink.write(new Uint8Array(10)), withCode('ENCODE_INVALID'));
    await sink.abort();
  });

  it('fails with ffmpeg\'s stderr when the codec does not exist (ENCODE_FAILED)', async () => {
    const sink = await encodeRawVideo({ output: path.join(dir, 'bad.mkv'), width: 8, height: 8, fps: 1, codec: 'no_such_codec' });
    const failure = (async () => {
      for (let k = 0; k < 1000; k++) await sink.write(gradient(8, 8, k));
      return sink.close();
    })();
    await assert.rejects(failure, (error: unknown) => {
      withCode('ENCODE_FAILED')(error);
      assert.ok((error as EncodeError).stderrTail.some((line) => /no_such_codec|Unknown encoder/i.test(line)), (error as Error).message);
      return true;
    });
  });

  it('abort() kills ffmpeg and removes the partial file', async () => {
    const output = path.join(dir, 'aborted.mkv');
    const sink = await encodeRawVideo({ output, width: 16, height: 16, fps: 5 });
    await sink.write(gradient(16, 16, 0));
    await sink.abort();
    assert.equal(existsSync(output), false);
    await assert.rejects(sink.write(gradient(16, 16, 1)), withCode('ENCODE_INVALID'));
  });

  it('pickEncoder returns the first encoder this ffmpeg has', async () => {
    assert.equal(await pickEncoder(['no_such_codec', 'ffv1', 'mpeg4']), 'ffv1');
    await assert.rejects(pickEncoder(['no_such_codec']), withCode('FFMPEG_UNAVAILABLE'));
  });
});
