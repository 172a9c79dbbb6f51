import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifierAffine,
  normalisePlanar,
  planarToRgb24,
  resizeToPlanar,
  rgb24ToPlanar,
  VAE_AFFINE,
  type ChannelAffine,
  type ResizeMethod,
  type Size,
} from '../../src/model/preprocess.js';

const IDENTITY: ChannelAffine = { scale: [1, 1, 1], offset: [0, 0, 0] };

function resize(src: Uint8Array, srcSize: Size, dst: Size, method: ResizeMethod, affine = IDENTITY): Float32Array {
  const out = new Float32Array(3 * dst.width * dst.height);
  rgb24ToPlanar(src, srcSize, out, 0, dst, method, affine);
  return out;
}

/** Packed rgb24 where every channel of pixel (x, y) holds f(x, y, c). */
function image(width: number, height: number, f: (x: number, y: number, c: number) => number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  return data;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

describe('rgb24ToPlanar', () => {
  it('writes NCHW planes at the given batch offset', () => {
    const src = image(2, 1, (x, _y, c) => 10 * (x + 1) + c); // pixels (10,11,12), (20,21,22)
    const out = new Float32Array(2 * 3 * 2).fill(-7);
    rgb24ToPlanar(src, { width: 2, height: 1 }, out, 6, { width: 2, height: 1 }, 'area', IDENTITY);
    assert.deepEqual([...out], [-7, -7, -7, -7, -7, -7, 10, 20, 11, 21, 12, 22]);
  });

  it("'area' averages whole blocks for integer factors", () => {
    // 4x4 with distinct 2x2 blocks -> 2x2 of their means
    const src = image(4, 4, (x, y) => (x + 4 * y) * 10);
    const out = resize(src, { width: 4, height: 4 }, { width: 2, height: 2 }, 'area');
    const expected = [25, 45, 105, 125]; // means of {0,10,40,50}, {20,30,60,70}, ...
    assertClose(out.subarray(0, 4), expected, 1e-4);
    assertClose(out.subarray(4, 8), expected, 1e-4);
  });

  it("'area' weights partial overlaps for fractional factors", () => {
    // 3 -> 2 pixels: target 0 covers [0, 1.5): (a + 0.5 b) / 1.5; target 1 covers [1.5, 3)
    const src = image(3, 1, (x) => [30, 90, 150][x]);
    const out = resize(src, { width: 3, height: 1 }, { width: 2, height: 1 }, 'area');
    assertClose(out.subarray(0, 2), [(30 + 0.5 * 90) / 1.5, (0.5 * 90 + 150) / 1.5], 1e-4);
  });

  it('keeps a constant image constant in every mode and size', () => {
    const src = image(7, 5, (_x, _y, c) => [200, 100, 50][c]);
    for (const method of ['area', 'bilinear'] as const) {
      for (const dst of [{ width: 3, height: 2 }, { width: 11, height: 9 }, { width: 7, height: 3 }]) {
        const out = resize(src, { width: 7, height: 5 }, dst, method);
        const plane = dst.width * dst.height;
        for (let c = 0; c < 3; c++) assertClose(out.subarray(c * plane, (c + 1) * plane), new Array(plane).fill([200, 100, 50][c]), 1e-3);
      }
    }
  });

  it('matches PyTorch F.interpolate (training/fixtures/make_preprocess_fixtures.py)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/model/preprocess.json', import.meta.url), 'utf8')) as {
      cases: Array<{ src: Size; dst: Size; method: ResizeMethod; rgb24: number[]; expected: number[] }>;
    };
    for (const c of fixture.cases) {
      const out = resize(Uint8Array.from(c.rgb24), c.src, c.dst, c.method);
      assertClose(out, c.expected, 1e-3);
    }
  });

  it('applies the classifier and VAE normalisations', () => {
    const src = image(1, 1, (_x, _y, c) => [255, 0, 51][c]);
    const cls = resize(src, { width: 1, height: 1 }, { width: 1, height: 1 }, 'area', classifierAffine([0.5, 0.5, 0.2], [0.25, 0.5, 0.1]));
    assertClose(cls, [(1 - 0.5) / 0.25, (0 - 0.5) / 0.5, (0.2 - 0.2) / 0.1], 1e-5);
    const vae = resize(src, { width: 1, height: 1 }, { width: 1, height: 1 }, 'area', VAE_AFFINE);
    assertClose(vae, [1, -1, 0.4 - 1], 1e-5);
  });

  it('rejects a buffer shorter than width * height * 3', () => {
    assert.throws(() => resize(new Uint8Array(5), { width: 2, height: 1 }, { width: 1, height: 1 }, 'area'), RangeError);
  });
});

describe('resizeToPlanar and normalisePlanar', () => {
  it('resize once to 0..255 planes, then normalise per model: what resizing for each model gives, bit for bit', () => {
    const size = { width: 20, height: 14 };
    const a = image(size.width, size.height, (x, y, c) => (x * 13 + y * 7 + c * 50) % 256);
    const models = [classifierAffine([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]), VAE_AFFINE, classifierAffine([0.5, 0.4, 0.3], [0.2, 0.3, 0.1])];
    for (const method of ['area', 'bilinear'] as const) {
      for (const dst of [{ width: 8, height: 8 }, { width: 20, height: 14 }, { width: 32, height: 24 }]) {
        const plane = dst.width * dst.height;
        const planes = resizeToPlanar(a, size, dst, method);
        for (const affine of models) {
          const batch = new Float32Array(2 * 3 * plane).fill(-9);
          normalisePlanar(planes, plane, affine, batch, 3 * plane);
          assert.deepEqual(batch.subarray(3 * plane), resize(a, size, dst, method, affine), `${method} to ${dst.width}x${dst.height}`);
          assert.ok(batch.subarray(0, 3 * plane).every((v) => v === -9), 'the slot before is untouched');
        }
      }
    }
  });

  it('keeps intensities unnormalised and planar: a 2x2 box averages to one value per channel', () => {
    const src = image(2, 2, (x, y, c) => [10, 20, 30, 41][y * 2 + x]! + 100 * c);
    assert.deepEqual([...resizeToPlanar(src, { width: 2, height: 2 }, { width: 1, height: 1 }, 'area')], [25.25, 125.25, 225.25]);
    assert.deepEqual([...resizeToPlanar(src, { width: 2, height: 2 }, { width: 2, height: 2 }, 'area')], [10, 20, 30, 41, 110, 120, 130, 141, 210, 220, 230, 241]);
  });
});

describe('planarToRgb24', () => {
  it('maps [-1,1] to 0..255 with rounding and clamping, packed', () => {
    const planar = Float32Array.from([-1, 1, /* G */ 0, -2, /* B */ 2, 0.999]);
    const out = planarToRgb24(planar, 0, { width: 2, height: 1 });
    assert.deepEqual([...out], [0, 128, 255, 255, 0, 255]);
  });

  it('round-trips through the VAE normalisation exactly', () => {
    const src = image(4, 3, (x, y, c) => (x * 37 + y * 91 + c * 13) % 256);
    const planar = resize(src, { width: 4, height: 3 }, { width: 4, height: 3 }, 'bilinear', VAE_AFFINE);
    assert.deepEqual(planarToRgb24(planar, 0, { width: 4, height: 3 }), src);
  });
});
