import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeArgv, decodePlan, videoFilter } from '../../src/stream/ffmpeg.js';
import { parseSourceUrl } from '../../src/stream/source-url.js';

const output = { width: 64, height: 48, fit: 'crop' as const, realtime: false };
const GLOBAL = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'warning'];

describe('decodePlan', () => {
  it('decodes to raw rgb24 on stdout, first video stream only', () => {
    const argv = decodeArgv(decodePlan(parseSourceUrl('clip.mp4'), output));
    assert.deepEqual(argv, [
      ...GLOBAL,
      '-i', 'clip.mp4',
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', 'scale=64:48:force_original_aspect_ratio=increase:flags=area,crop=64:48',
      '-pix_fmt', 'rgb24', '-f', 'rawvideo',
      'pipe:1',
    ]);
  });

  it('adds the input options of each kind of source', () => {
    const inputOptions = (url: string, realtime = false) => decodePlan(parseSourceUrl(url), { ...output, realtime }).inputOptions.slice(GLOBAL.length);
    assert.deepEqual(inputOptions('rtsp://cam/1'), ['-rtsp_transport', 'tcp']);
    assert.deepEqual(inputOptions('/dev/video0'), ['-f', 'v4l2']);
    assert.deepEqual(inputOptions('lavfi:testsrc2=rate=30'), ['-f', 'lavfi']);
    assert.deepEqual(inputOptions('https://h/live.m3u8'), []);
    assert.deepEqual(inputOptions('clip.mp4', true), ['-re']);
    assert.deepEqual(inputOptions('lavfi:testsrc2', true), ['-re', '-f', 'lavfi']);
  });

  it('feeds ffmpeg the path, device, graph or URL', () => {
    const input = (url: string) => decodePlan(parseSourceUrl(url), output).input;
    assert.equal(input('file:///data/a.mp4'), '/data/a.mp4');
    assert.equal(input('/dev/video1'), '/dev/video1');
    assert.equal(input('lavfi:testsrc2=size=64x48'), 'testsrc2=size=64x48');
    assert.equal(input('rtsp://cam/1'), 'rtsp://cam/1');
  });
});

describe('videoFilter', () => {
  it('crops: covers the box, then cuts the overflow', () => {
    assert.equal(videoFilter({ width: 64, height: 48, fit: 'crop' }), 'scale=64:48:force_original_aspect_ratio=increase:flags=area,crop=64:48');
  });

  it('pads: fits inside the box, then letterboxes it centred', () => {
    assert.equal(
      videoFilter({ width: 64, height: 48, fit: 'pad' }),
      'scale=64:48:force_original_aspect_ratio=decrease:flags=area,pad=64:48:(ow-iw)/2:(oh-ih)/2:black',
    );
  });

  it('resamples the frame rate before scaling when fps is set', () => {
    assert.match(videoFilter({ width: 64, height: 48, fit: 'crop', fps: 5 }), /^fps=5,scale=/);
  });
});
