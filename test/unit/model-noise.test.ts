import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GaussianRng, noiseArrays, StreamNoise, streamSeed } from '../../src/model/noise.js';

interface TwinCase {
  seed: number;
  length: number;
  arrays: number[][];
}
const TWIN = JSON.parse(readFileSync(new URL('../fixtures/model/noise.json', import.meta.url), 'utf8')) as { cases: TwinCase[] };

describe('GaussianRng', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new GaussianRng(42).fill(new Float32Array(16));
    const b = new GaussianRng(42).fill(new Float32Array(16));
    const c = new GaussianRng(43).fill(new Float32Array(16));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('draws what its Python twin draws (training/noise.py, via training/fixtures/make_noise_fixture.py)', () => {
    // The bundle's noise seed is chosen in Python; it must mean the same noise here.
    for (const { seed, length, arrays } of TWIN.cases) {
      const drawn = noiseArrays(seed, arrays.length, length);
      arrays.forEach((expected, i) => assert.deepEqual(Array.from(drawn[i]), expected, `seed ${seed}, array ${i}`));
    }
  });

  it('draws standard normals', () => {
    const x = new GaussianRng(7).fill(new Float32Array(20000));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
    assert.ok(x.every(Number.isFinite));
  });
});

describe('StreamNoise', () => {
  it('gives each stream its own fixed noise, the same on every call', () => {
    const noise = new StreamNoise({ baseSeed: 0, count: 3, length: 8 });
    const first = noise.forStream('cam-1').map((a) => Float32Array.from(a));
    assert.equal(first.length, 3);
    assert.notDeepEqual(first[0], first[1], 'the arrays of one stream differ');
    assert.deepEqual(noise.forStream('cam-1'), first);
    assert.notDeepEqual(noise.forStream('cam-2')[0], first[0]);
    assert.notEqual(streamSeed('cam-1', 0), streamSeed('cam-1', 1));
  });

  it('is reproducible after eviction from the cache', () => {
    const noise = new StreamNoise({ baseSeed: 5, count: 1, length: 4, cacheLimit: 1 });
    const a = Float32Array.from(noise.forStream('a')[0]);
    noise.forStream('b');
    assert.deepEqual(noise.forStream('a')[0], a);
  });

  it('lays a batch out batch-major, one array per noise index', () => {
    const noise = new StreamNoise({ baseSeed: 1, count: 2, length: 3 });
    const batch = noise.batch(['x', 'y', 'x']);
    assert.equal(batch.length, 2);
    assert.equal(batch[1].length, 9);
    assert.deepEqual(batch[1].subarray(0, 3), noise.forStream('x')[1]);
    assert.deepEqual(batch[1].subarray(3, 6), noise.forStream('y')[1]);
    assert.deepEqual(batch[1].subarray(6, 9), noise.forStream('x')[1]);
  });

  it('gives every stream the arrays of the shared seed when there is one', () => {
    const noise = new StreamNoise({ baseSeed: 3, sharedSeed: 17, count: 2, length: 5 });
    const expected = noiseArrays(17, 2, 5);
    assert.deepEqual(noise.forStream('cam-1'), expected);
    assert.deepEqual(noise.forStream('cam-2'), expected);
    const batch = noise.batch(['cam-1', 'cam-2']);
    assert.deepEqual(batch[1].subarray(0, 5), expected[1]);
    assert.deepEqual(batch[1].subarray(5, 10), expected[1]);
    // The per-stream noise of the same base seed is another one.
    assert.notDeepEqual(new StreamNoise({ baseSeed: 3, count: 2, length: 5 }).forStream('cam-1'), expected);
  });
});
