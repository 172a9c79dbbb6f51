import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidSourceError, SourceError } from '../../src/stream/errors.js';
import { defaultModeFor, parseFrameRate, parseSourceUrl } from '../../src/stream/source-url.js';

describe('parseSourceUrl', () => {
  it('reads paths and file:// URLs as files', () => {
    assert.deepEqual(parseSourceUrl('clips/a.mp4'), { kind: 'file', url: 'clips/a.mp4', path: 'clips/a.mp4' });
    assert.deepEqual(parseSourceUrl('/data/a b.mkv'), { kind: 'file', url: '/data/a b.mkv', path: '/data/a b.mkv' });
    assert.deepEqual(parseSourceUrl('file:///data/a%20b.mkv'), {
      kind: 'file',
      url: 'file:///data/a%20b.mkv',
      path: '/data/a b.mkv',
    });
  });

  it('reads rtsp and rtsps as RTSP', () => {
    assert.deepEqual(parseSourceUrl('rtsp://user:pw@10.0.0.5:554/stream1'), {
      kind: 'rtsp',
      url: 'rtsp://user:pw@10.0.0.5:554/stream1',
    });
    assert.equal(parseSourceUrl('RTSPS://cam/1').kind, 'rtsp');
  });

  it('reads http(s) and tells HLS playlists apart', () => {
    assert.deepEqual(parseSourceUrl('https://cdn.example/live/index.m3u8?token=1'), {
      kind: 'http',
      url: 'https://cdn.example/live/index.m3u8?token=1',
      hls: true,
    });
    assert.deepEqual(parseSourceUrl('http://host/clip.mp4'), { kind: 'http', url: 'http://host/clip.mp4', hls: false });
  });

  it('reads other live protocols ffmpeg knows as network streams', () => {
    assert.deepEqual(parseSourceUrl('srt://host:9000?mode=caller'), { kind: 'network', url: 'srt://host:9000?mode=caller', protocol: 'srt' });
    assert.deepEqual(
      ['rtmp://h/app/key', 'rtmps://h/app/key', 'udp://@:1234', 'tcp://h:5000'].map((url) => parseSourceUrl(url).kind),
      ['network', 'network', 'network', 'network'],
    );
  });

  it('reads /dev/videoN as a V4L2 camera', () => {
    assert.deepEqual(parseSourceUrl('/dev/video2'), { kind: 'v4l2', url: '/dev/video2', device: '/dev/video2' });
    assert.equal(parseSourceUrl('/dev/videos.mp4').kind, 'file');
  });

  it('reads lavfi: graphs and their frame rate', () => {
    assert.deepEqual(parseSourceUrl('lavfi:testsrc2=size=640x480:rate=30'), {
      kind: 'lavfi',
      url: 'lavfi:testsrc2=size=640x480:rate=30',
      graph: 'testsrc2=size=640x480:rate=30',
      fps: 30,
    });
    const rate = (url: string) => {
      const input = parseSourceUrl(url);
      return input.kind === 'lavfi' ? input.fps : 'not lavfi';
    };
    assert.equal(rate('lavfi:testsrc2=s=64x48:r=10'), 10);
    assert.equal(rate('lavfi:color=c=red:s=64x48:r=30000/1001'), 30000 / 1001);
    assert.equal(rate('lavfi:testsrc2=rate=30,fps=5'), 5);
    assert.equal(rate('lavfi:testsrc2'), undefined);
    assert.equal(rate('lavfi:testsrc2=rate=ntsc'), undefined);
  });

  it('trims surrounding whitespace', () => {
    assert.equal(parseSourceUrl('  rtsp://cam/1 \n').url, 'rtsp://cam/1');
  });

  it('rejects empty strings, empty graphs and unknown schemes with SOURCE_INVALID', () => {
    for (const url of ['', '   ', 'lavfi:', 'ftp://host/a.mp4', 'gopher://host/']) {
      assert.throws(
        () => parseSourceUrl(url),
        (error: unknown) => error instanceof InvalidSourceError && error instanceof SourceError && error.code === 'SOURCE_INVALID',
        url,
      );
    }
  });

  it('gives files the replay mode and everything else the live mode by default', () => {
    assert.equal(defaultModeFor(parseSourceUrl('a.mp4')), 'replay');
    assert.equal(defaultModeFor(parseSourceUrl('rtsp://cam/1')), 'live');
    assert.equal(defaultModeFor(parseSourceUrl('lavfi:testsrc2')), 'live');
    assert.equal(defaultModeFor(parseSourceUrl('/dev/video0')), 'live');
  });
});

describe('parseFrameRate', () => {
  it('reads integers, decimals and fractions, and refuses the rest', () => {
    assert.equal(parseFrameRate('25'), 25);
    assert.equal(parseFrameRate('29.97'), 29.97);
    assert.equal(parseFrameRate('30000/1001'), 30000 / 1001);
    assert.equal(parseFrameRate(24), 24);
    for (const bad of ['0/0', '0', '', 'ntsc', '25/0', undefined, -5, Number.NaN]) {
      assert.equal(parseFrameRate(bad), undefined, String(bad));
    }
  });
});
