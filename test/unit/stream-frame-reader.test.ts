import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Frame } from '../../src/stream/frame.js';
import { FrameReader } from '../../src/stream/frame-reader.js';

const WIDTH = 4;
const HEIGHT = 3;
const FRAME_SIZE = WIDTH * HEIGHT * 3; // 36 bytes

/** `count` frames of distinct bytes, as ffmpeg would write them back to back. */
function rawFrames(count: number): Uint8Array {
  const bytes = new Uint8Array(count * FRAME_SIZE);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + Math.floor(i / FRAME_SIZE)) % 256;
  return bytes;
}

/** Feeds `bytes` to a reader in chunks of the given sizes (cycled), returns every frame. */
function readInChunks(reader: FrameReader, bytes: Uint8Array, sizes: number[]): Frame[] {
  const frames: Frame[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    frames.push(...reader.push(bytes.subarray(offset, offset + size)));
    offset += size;
  }
  return frames;
}

describe('FrameReader', () => {
  const splits: Record<string, number[]> = {
    'one byte at a time': [1],
    'odd primes': [7, 13, 5],
    'one byte short of a frame': [FRAME_SIZE - 1],
    'one byte over a frame': [FRAME_SIZE + 1],
    'several frames per chunk': [FRAME_SIZE * 3 + 5],
    'everything at once': [FRAME_SIZE * 10],
  };
  for (const [name, sizes] of Object.entries(splits)) {
    it(`cuts exact frames whatever the chunking: ${name}`, () => {
      const bytes = rawFrames(10);
      const reader = new FrameReader({ streamId: 'cam', width: WIDTH, height: HEIGHT, fps: 25 });
      const frames = readInChunks(reader, bytes, sizes);
      assert.equal(frames.length, 10);
      frames.forEach((frame, index) => {
        assert.deepEqual(frame.data, bytes.slice(index * FRAME_SIZE, (index + 1) * FRAME_SIZE));
        assert.equal(frame.seq, index);
      });
      assert.equal(reader.pendingBytes, 0);
      assert.equal(reader.framesRead, 10);
    });
  }

  it('keeps a partial frame until its last byte comes', () => {
    const reader = new FrameReader({ streamId: 'cam', width: WIDTH, height: HEIGHT, fps: 25 });
    const bytes = rawFrames(1);
    assert.deepEqual(reader.push(bytes.subarray(0, 20)), []);
    assert.equal(reader.pendingBytes, 20);
    assert.equal(reader.push(bytes.subarray(20)).length, 1);
    assert.equal(reader.pendingBytes, 0);
  });

  it('gives every frame its own ArrayBuffer, so it can be transferred to a worker', () => {
    const reader = new FrameReader({ streamId: 'cam', width: WIDTH, height: HEIGHT, fps: 25 });
    const input = rawFrames(3);
    const frames = reader.push(input);
    for (const frame of frames) {
      assert.equal(frame.data.byteOffset, 0);
      assert.equal(frame.data.buffer.byteLength, FRAME_SIZE);
    }
    input.fill(0); // the pipe's buffer is reused by Node: frames must not alias it
    assert.notDeepEqual(frames[1]!.data, new Uint8Array(FRAME_SIZE));
  });

  it('stamps streamId, size, continuing seq, ptsMs from the frame rate, and one discontinuity', () => {
    let clock = 1000;
    const reader = new FrameReader({ streamId: 'cam7', width: WIDTH, height: HEIGHT, fps: 25, firstSeq: 40, now: () => clock++ });
    const frames = reader.push(rawFrames(3));
    assert.deepEqual(
      frames.map(({ streamId, seq, ptsMs, capturedAt, width, height, discontinuity }) => ({
        streamId, seq, ptsMs, capturedAt, width, height, discontinuity,
      })),
      [
        { streamId: 'cam7', seq: 40, ptsMs: 0, capturedAt: 1000, width: 4, height: 3, discontinuity: true },
        { streamId: 'cam7', seq: 41, ptsMs: 40, capturedAt: 1001, width: 4, height: 3, discontinuity: false },
        { streamId: 'cam7', seq: 42, ptsMs: 80, capturedAt: 1002, width: 4, height: 3, discontinuity: false },
      ],
    );
  });

  it('falls back to wall-clock time since the first frame when the frame rate is unknown', () => {
    const times = [500, 533, 570];
    const reader = new FrameReader({ streamId: 'cam', width: WIDTH, height: HEIGHT, fps: undefined, now: () => times.shift()! });
    assert.deepEqual(reader.push(rawFrames(3)).map((frame) => frame.ptsMs), [0, 33, 70]);
  });

  it('refuses a size that is not a positive integer', () => {
    assert.throws(() => new FrameReader({ streamId: 'cam', width: 0, height: 3, fps: 25 }), RangeError);
    assert.throws(() => new FrameReader({ streamId: 'cam', width: 4.5, height: 3, fps: 25 }), RangeError);
  });
});
