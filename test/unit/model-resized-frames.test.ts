/** ResizedFrames: one resize per frame and model size, normalised per model; buffers reused across batches. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifierAffine, rgb24ToPlanar, VAE_AFFINE, type ChannelAffine, type Size } from '../../src/model/preprocess.js';
import { PlanePool, ResizedFrames } from '../../src/model/resized-frames.js';

function frame(width: number, height: number, seed: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + seed * 97) % 256;
  return { width, height, data };
}

function direct(f: ReturnType<typeof frame>, size: Size, affine: ChannelAffine): Float32Array {
  const out = new Float32Array(3 * size.width * size.height);
  rgb24ToPlanar(f.data, f, out, 0, size, 'area', affine);
  return out;
}

describe('ResizedFrames', () => {
  it("gives each model what resizing for it gives, frame by frame, in the batch's order", () => {
    const frames = [frame(40, 30, 1), frame(64, 48, 2)];
    const size = { width: 16, height: 12 };
    const cls = classifierAffine([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]);
    const resized = new ResizedFrames(frames, new PlanePool());
    const plane = 3 * size.width * size.height;
    const both = resized.tensor([1, 0], size, 'area', cls);
    assert.deepEqual(both.subarray(0, plane), direct(frames[1]!, size, cls));
    assert.deepEqual(both.subarray(plane), direct(frames[0]!, size, cls));
    assert.deepEqual(resized.tensor([0], size, 'area', VAE_AFFINE), direct(frames[0]!, size, VAE_AFFINE), 'the same planes, another normalisation');
  });

  it('hands its buffers back to the pool, and a later batch that reuses them gets its own pictures', () => {
    const pool = new PlanePool();
    const size = { width: 8, height: 8 };
    const first = new ResizedFrames([frame(32, 32, 3)], pool);
    first.tensor([0], size, 'area', VAE_AFFINE);
    first.release();
    const buffer = pool.take(3 * 64);
    pool.give(buffer);
    const later = frame(32, 32, 4);
    const second = new ResizedFrames([later], pool);
    assert.deepEqual(second.tensor([0], size, 'area', VAE_AFFINE), direct(later, size, VAE_AFFINE));
    assert.notEqual(pool.take(3 * 64), buffer, 'the second batch holds the pooled buffer until it is released');
  });
});
