/** Cutting a region out of an rgb24 frame: exactly the region's bytes of the full frame, nothing else copied. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cropFrame, pixelRect } from '../../src/flow/regions/index.js';
import type { Frame } from '../../src/stream/index.js';

/** A frame whose every byte says where it is: pixel (x, y) channel c holds (x * 7 + y * 13 + c) % 256. */
function patternFrame(width: number, height: number): Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c) % 256;
  return { streamId: 'cam', seq: 41, ptsMs: 1234, capturedAt: 99, width, height, data, discontinuity: false, meta: { corruption: 'fog:2' } };
}

/** The bytes of rect (x, y, w, h) read pixel by pixel out of the full frame. */
function expectedBytes(frame: Frame, x: number, y: number, w: number, h: number): Uint8Array {
  const out: number[] = [];
  for (let row = y; row < y + h; row++) for (let col = x; col < x + w; col++) for (let c = 0; c < 3; c++) out.push(frame.data[(row * frame.width + col) * 3 + c]!);
  return Uint8Array.from(out);
}

describe('region crop', () => {
  it("the region's bytes equal the matching bytes of the full frame", () => {
    const frame = patternFrame(64, 48);
    const before = Uint8Array.from(frame.data);
    const cut = cropFrame(frame, 'cam.door', { x: 0.25, y: 0.5, width: 0.5, height: 0.25 });
    assert.deepEqual([cut.width, cut.height], [32, 12]);
    assert.deepEqual(cut.data, expectedBytes(frame, 16, 24, 32, 12));
    assert.equal(cut.data.byteLength, 32 * 12 * 3, 'only the region is copied');
    assert.deepEqual(frame.data, before, 'the full frame is left as it was');
    assert.notEqual(cut.data.buffer, frame.data.buffer, "the region owns its bytes (the parent's may be reused)");
  });

  it("keeps the frame's timing and flags under the region's stream id", () => {
    const cut = cropFrame(patternFrame(10, 10), 'cam.door', { x: 0, y: 0, width: 1, height: 1 });
    assert.deepEqual({ ...cut, data: undefined }, { streamId: 'cam.door', seq: 41, ptsMs: 1234, capturedAt: 99, width: 10, height: 10, data: undefined, discontinuity: false, meta: { corruption: 'fog:2' } });
  });

  it('rounds edges to pixels, stays inside the frame and never comes out empty', () => {
    assert.deepEqual(pixelRect({ x: 0.7, y: 0, width: 0.3, height: 1 }, 10, 5), { x: 7, y: 0, width: 3, height: 5 });
    assert.deepEqual(pixelRect({ x: 0.333, y: 0.333, width: 0.334, height: 0.334 }, 100, 3), { x: 33, y: 1, width: 34, height: 1 });
    assert.deepEqual(pixelRect({ x: 0.999, y: 0.999, width: 0.001, height: 0.001 }, 32, 32), { x: 31, y: 31, width: 1, height: 1 });
    assert.deepEqual(pixelRect({ x: 0.5, y: 0.5, width: 0.5 + 1e-10, height: 0.5 }, 4, 4), { x: 2, y: 2, width: 2, height: 2 });
    const frame = patternFrame(7, 5);
    const corner = cropFrame(frame, 'c.r', { x: 0.999, y: 0.999, width: 0.001, height: 0.001 });
    assert.deepEqual(corner.data, expectedBytes(frame, 6, 4, 1, 1));
  });
});
