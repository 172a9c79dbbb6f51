import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corrupt } from '../../src/corrupt/index.js';
import { approxGaussianBlur, convolveSeparable, diskBlur, gaussianKernel, motionBlur } from '../../src/corrupt/filters.js';
import { borderIndex, createFloat, fromRgb, resizeArea, zoomCentered } from '../../src/corrupt/image.js';
import { plasmaFractal } from '../../src/corrupt/plasma.js';
import { Rng, poissonCdfTables, poissonQuantile, seedState } from '../../src/corrupt/prng.js';
import { frameScale } from '../../src/corrupt/scale.js';
import { testPattern } from '../../src/corrupt/test-pattern.js';

const flat = (w: number, h: number, v: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });

describe('prng', () => {
  it('is repeatable and spreads nearby, negative, large and fractional seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 10; i++) assert.equal(a.next(), b.next());
    const states = [0, 1, 2, -1, 2 ** 32, 2 ** 32 + 1, 0.5, 1e15].map((s) => seedState(s));
    assert.equal(new Set(states).size, states.length);
    assert.notEqual(seedState(1, 'fog'), seedState(1, 'snow'));
  });

  it('draws standard normals and Poisson counts with the right moments', () => {
    const rng = new Rng(3);
    const z = rng.normals(20000);
    const m = z.reduce((s, v) => s + v, 0) / z.length;
    const v = z.reduce((s, x) => s + (x - m) ** 2, 0) / z.length;
    assert.ok(Math.abs(m) < 0.03 && Math.abs(v - 1) < 0.05, `mean ${m} var ${v}`);
    const tables = poissonCdfTables(500);
    for (const level of [0, 1, 4, 20, 61, 255]) {
      const lambda = (level / 255) * 500;
      const draws = Array.from({ length: 6000 }, () => poissonQuantile(tables[level], rng.next()));
      const dm = draws.reduce((s, x) => s + x, 0) / draws.length;
      const dv = draws.reduce((s, x) => s + (x - dm) ** 2, 0) / draws.length;
      assert.ok(Math.abs(dm - lambda) < 0.06 * lambda + 0.05, `lambda ${lambda}: mean ${dm}`);
      assert.ok(Math.abs(dv - lambda) < 0.12 * lambda + 0.1, `lambda ${lambda}: var ${dv}`);
    }
  });
});

describe('image and filter helpers', () => {
  it('folds indices by each border rule', () => {
    assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'nearest')), [0, 0, 3, 3]);
    assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'reflect')), [1, 0, 3, 2]);
    assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'mirror')), [2, 1, 2, 1]);
    assert.deepEqual([-2, -1, 4, 5].map((i) => borderIndex(i, 4, 'wrap')), [2, 3, 0, 1]);
  });

  it('sizes gaussian kernels like scipy (radius = floor(4 sigma + 0.5)) and normalises them', () => {
    assert.equal(gaussianKernel(0.05).length, 1);
    assert.equal(gaussianKernel(0.4).length, 5);
    assert.equal(gaussianKernel(1).length, 9);
    assert.ok(Math.abs(gaussianKernel(1).reduce((s, v) => s + v, 0) - 1) < 1e-6);
  });

  it('keeps flat images flat through every linear filter', () => {
    const img = fromRgb(flat(21, 13, 100));
    const k = gaussianKernel(1.3);
    for (const out of [
      convolveSeparable(img, k, k, 'mirror'),
      approxGaussianBlur(img, 5, 'nearest'),
      diskBlur(img, 3.5, 'mirror'),
      motionBlur(img, 9, 2.5, 30),
      zoomCentered(img, 21, 13, 1.2),
      resizeArea(img, 8, 5),
    ]) {
      for (const v of out.data) assert.ok(Math.abs(v - 100 / 255) < 1e-5);
    }
  });

  it('approximates a wide gaussian with box passes of matching variance', () => {
    const img = createFloat(101, 1, 1);
    img.data[50] = 1;
    const out = approxGaussianBlur(img, 6, 'nearest').data;
    let m = 0;
    let v = 0;
    for (let i = 0; i < 101; i++) m += i * out[i];
    for (let i = 0; i < 101; i++) v += (i - m) ** 2 * out[i];
    assert.ok(Math.abs(m - 50) < 1e-3 && Math.abs(Math.sqrt(v) - 6) < 0.3, `mean ${m} sigma ${Math.sqrt(v)}`);
  });

  it('scales spatial parameters by min(W, H) / 32', () => {
    assert.deepEqual(frameScale(32, 32), { s: 1, grain: 1, baseWidth: 32, baseHeight: 32 });
    assert.deepEqual(frameScale(320, 240), { s: 7.5, grain: 8, baseWidth: 43, baseHeight: 32 });
  });
});

describe('fidelity to the CIFAR-10-C formulas', () => {
  const mid = flat(32, 32, 128);

  it('gaussian_noise adds N(0, c) with c = 0.04 .. 0.10', async () => {
    for (const [severity, c] of [
      [1, 0.04],
      [5, 0.1],
    ] as const) {
      const out = await corrupt(mid, 'gaussian_noise', severity, 1);
      let v = 0;
      for (const x of out) v += ((x - 128) / 255) ** 2;
      assert.ok(Math.abs(Math.sqrt(v / out.length) - c) < 0.006, `sev${severity}`);
    }
  });

  it('impulse_noise flips about c of the channel values to 0 or 255', async () => {
    const out = await corrupt(mid, 'impulse_noise', 5, 1);
    const flipped = out.filter((x) => x === 0 || x === 255).length / out.length;
    assert.ok(Math.abs(flipped - 0.07) < 0.015, `flipped ${flipped}`);
  });

  it('brightness adds c to the HSV value; contrast keeps channel means', async () => {
    assert.deepEqual((await corrupt(mid, 'brightness', 5, 0)).slice(0, 3), Uint8Array.of(205, 205, 205)); // 128 + 0.3 * 255
    const img = testPattern(32, 32);
    const out = await corrupt(img, 'contrast', 5, 0);
    for (let ch = 0; ch < 3; ch++) {
      let a = 0;
      let b = 0;
      for (let i = ch; i < out.length; i += 3) {
        a += out[i];
        b += img.data[i];
      }
      assert.ok(Math.abs(a - b) / 1024 < 0.6);
    }
  });

  it('pixelate at 32x32 severity 5 leaves 20x20 blocks worth of distinct columns', async () => {
    const img = testPattern(32, 32);
    const out = await corrupt(img, 'pixelate', 5, 0);
    let distinct = 1;
    for (let x = 1; x < 32; x++) if (out[(16 * 32 + x) * 3 + 1] !== out[(16 * 32 + x - 1) * 3 + 1] || out[(26 * 32 + x) * 3] !== out[(26 * 32 + x - 1) * 3]) distinct++;
    assert.ok(distinct <= 20, `${distinct} column changes`);
  });

  it('the plasma fractal spans exactly [0, 1]', () => {
    const map = plasmaFractal(32, 2, new Rng(1));
    assert.equal(Math.min(...map), 0);
    assert.equal(Math.max(...map), 1);
  });
});
