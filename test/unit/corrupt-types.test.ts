import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALL_CORRUPTION_TYPES,
  CORRUPTION_TYPES,
  type CorruptionType,
  EXTRA_CORRUPTION_TYPES,
  SEVERITIES,
  corrupt,
} from '../../src/corrupt/index.js';
import { testPattern } from '../../src/corrupt/test-pattern.js';

/** Types whose output does not depend on the seed. */
const DETERMINISTIC: ReadonlySet<CorruptionType> = new Set<CorruptionType>([
  'defocus_blur',
  'zoom_blur',
  'brightness',
  'contrast',
  'pixelate',
  'jpeg_compression',
  'gaussian_blur',
  'saturate',
]);

const small = testPattern(32, 32);

describe('corruption catalogue', () => {
  it('lists the 15 standard types in benchmark order and the 4 extras separately', () => {
    assert.equal(CORRUPTION_TYPES.length, 15);
    assert.deepEqual(CORRUPTION_TYPES.slice(0, 3), ['gaussian_noise', 'shot_noise', 'impulse_noise']);
    assert.equal(CORRUPTION_TYPES[14], 'jpeg_compression');
    assert.deepEqual([...EXTRA_CORRUPTION_TYPES], ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate']);
    assert.equal(new Set(ALL_CORRUPTION_TYPES).size, 19);
  });
});

describe('corrupt() on 32x32', () => {
  for (const type of ALL_CORRUPTION_TYPES) {
    it(`${type}: right shape, deterministic per seed, input untouched`, async () => {
      const before = small.data.slice();
      for (const severity of SEVERITIES) {
        const a = await corrupt(small, type, severity, 11);
        assert.ok(a instanceof Uint8Array);
        assert.equal(a.length, 32 * 32 * 3);
        assert.notEqual(a.buffer, small.data.buffer, 'returns a new buffer');
        assert.deepEqual(await corrupt(small, type, severity, 11), a, `severity ${severity} repeatable`);
        assert.ok(!equalBytes(a, small.data), `severity ${severity} changes the image`);
      }
      assert.deepEqual(small.data, before);
    });

    it(`${type}: the seed ${DETERMINISTIC.has(type) ? 'does not matter' : 'changes the pattern'}`, async () => {
      for (const severity of [1, 3, 5] as const) {
        const outs = await Promise.all([1, 2, 3, 4].map((seed) => corrupt(small, type, severity, seed)));
        const allSame = outs.every((o) => equalBytes(o, outs[0]));
        // A random angle can round to the same pixel offsets for two seeds, so look at four.
        assert.equal(allSame, DETERMINISTIC.has(type), `severity ${severity}`);
      }
    });
  }
});

describe('corrupt() on other sizes', () => {
  it('handles tiny, odd and non-square images for every type', async () => {
    for (const [w, h] of [
      [1, 1],
      [2, 3],
      [5, 1],
      [37, 23],
      [17, 64],
    ]) {
      const img = testPattern(w, h);
      for (const type of ALL_CORRUPTION_TYPES) {
        for (const severity of [1, 5] as const) {
          assert.equal((await corrupt(img, type, severity, 3)).length, w * h * 3, `${type}:${severity} at ${w}x${h}`);
        }
      }
    }
  });

  it('runs every type on a 320x240 frame, deterministically', async () => {
    const frame = testPattern(320, 240);
    for (const type of CORRUPTION_TYPES) {
      const a = await corrupt(frame, type, 3, 5);
      assert.equal(a.length, 320 * 240 * 3);
      assert.ok(!equalBytes(a, frame.data), type);
    }
    assert.deepEqual(await corrupt(frame, 'glass_blur', 4, 9), await corrupt(frame, 'glass_blur', 4, 9));
    assert.deepEqual(await corrupt(frame, 'snow', 5, 9), await corrupt(frame, 'snow', 5, 9));
  });

  it('accepts a Buffer (a Uint8Array subclass) as image data', async () => {
    const data = Buffer.from(small.data);
    assert.deepEqual(await corrupt({ width: 32, height: 32, data }, 'fog', 2, 1), await corrupt(small, 'fog', 2, 1));
    assert.deepEqual(await corrupt({ width: 32, height: 32, data }, 'jpeg_compression', 2, 1), await corrupt(small, 'jpeg_compression', 2, 1));
  });
});

describe('corrupt() argument errors', () => {
  const bad = (f: () => Promise<unknown>, part: string, text: RegExp): Promise<void> =>
    assert.rejects(f, (e: unknown) => {
      const err = e as { code?: string; part?: string; message: string };
      assert.equal(err.code, 'CORRUPTION_INVALID');
      assert.equal(err.part, part);
      assert.match(err.message, text);
      return true;
    });

  it('rejects unknown types, bad severities, seeds and images with CORRUPTION_INVALID', async () => {
    await bad(() => corrupt(small, 'fogg' as CorruptionType, 1, 0), 'type', /fogg/);
    await bad(() => corrupt(small, 'fog', 6 as 1, 0), 'severity', /'6'/);
    await bad(() => corrupt(small, 'fog', 2.5 as 1, 0), 'severity', /2\.5/);
    await bad(() => corrupt(small, 'fog', 1, Number.NaN), 'seed', /NaN/);
    await bad(() => corrupt({ width: 32, height: 32, data: new Uint8Array(10) }, 'fog', 1, 0), 'image', /3072 bytes, got 10/);
    await bad(() => corrupt({ width: 0, height: 32, data: new Uint8Array(0) }, 'fog', 1, 0), 'image', /0x32/);
  });
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
