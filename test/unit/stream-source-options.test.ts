import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidSourceError } from '../../src/stream/errors.js';
import { FrameSource, type FrameSourceOptions } from '../../src/stream/source.js';

const valid: FrameSourceOptions = { id: 'cam1', url: 'lavfi:testsrc2=rate=5', width: 64, height: 48, fit: 'crop' };

describe('FrameSource.create (no ffmpeg needed)', () => {
  it('refuses unusable options with SOURCE_INVALID, naming the source', async () => {
    const cases: Partial<FrameSourceOptions>[] = [
      { id: '' },
      { width: 0 },
      { height: 47.5 },
      { fit: 'stretch' as never },
      { mode: 'loop' as never },
      { fps: 0 },
      { stallTimeoutMs: -1 },
      { maxInFlight: 0 },
      { restart: { maxAttempts: -1 } },
      { url: 'ftp://host/clip.mp4' },
    ];
    for (const change of cases) {
      await assert.rejects(
        FrameSource.create({ ...valid, ...change }),
        (error: unknown) =>
          error instanceof InvalidSourceError && error.code === 'SOURCE_INVALID' && error.sourceId === (change.id ?? 'cam1'),
        JSON.stringify(change),
      );
    }
  });

  it('creates a live lavfi source without starting anything', async () => {
    const source = await FrameSource.create(valid);
    assert.equal(source.mode, 'live');
    assert.equal(source.pid, undefined);
    assert.deepEqual(source.stats(), { state: 'idle', framesRead: 0, restarts: 0, inFlight: 0, paused: false });
    await source.stop();
    assert.equal(source.stats().state, 'ended');
  });

  it('accepts retrying forever (null, as the config writes it, or Infinity)', async () => {
    for (const maxAttempts of [null, Infinity]) {
      const source = await FrameSource.create({ ...valid, restart: { maxAttempts } });
      await source.stop();
    }
  });

  it('paces files and lavfi graphs in live mode, never cameras or RTSP', async () => {
    const args = async (change: Partial<FrameSourceOptions>) => (await FrameSource.create({ ...valid, ...change })).ffmpegArgs;
    assert.ok((await args({})).includes('-re'), 'live lavfi: paced by default');
    assert.ok(!(await args({ realtime: false })).includes('-re'));
    assert.ok(!(await args({ url: 'rtsp://cam/1', realtime: true })).includes('-re'));
    assert.ok(!(await args({ url: '/dev/video0', realtime: true })).includes('-re'));
    assert.ok((await args({ url: 'https://host/clip.mp4', mode: 'live' })).includes('-re'));
  });

  it('treats fps as a cap: resamples only a source that is faster or of unknown rate', async () => {
    const filter = async (change: Partial<FrameSourceOptions>) => {
      const argv = (await FrameSource.create({ ...valid, ...change })).ffmpegArgs;
      return argv[argv.indexOf('-vf') + 1];
    };
    assert.match((await filter({ url: 'lavfi:testsrc2=rate=30', fps: 10 }))!, /^fps=10,scale=/);
    assert.match((await filter({ url: 'lavfi:testsrc2=rate=5', fps: 10 }))!, /^scale=/);
    assert.match((await filter({ url: 'rtsp://cam/1', fps: 10 }))!, /^fps=10,scale=/);
    assert.match((await filter({ url: 'rtsp://cam/1' }))!, /^scale=/);
  });
});
