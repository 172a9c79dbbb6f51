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
});
