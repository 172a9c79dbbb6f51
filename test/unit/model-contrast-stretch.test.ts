/** The contrast stretch of the editor's input: which pictures it stretches, by how much, and as training/stretch_edit.py does. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { stretchContrast, stretchOf } from '../../src/model/contrast-stretch.js';

const SIZE = { width: 8, height: 6 };
const VALUES = 3 * SIZE.width * SIZE.height;
const STRETCH = { percentile: 0.01, maxGain: 8, maxSpan: 0.6 };

/** Planar [1,3,H,W] in [-1,1] of a grey picture whose level at pixel i is level(i) ([0,1] scale). */
function grey(level: (i: number) => number): Float32Array {
  const plane = SIZE.width * SIZE.height;
  const out = new Float32Array(VALUES);
  for (let c = 0; c < 3; c++) for (let i = 0; i < plane; i++) out[c * plane + i] = level(i) * 2 - 1;
  return out;
}

const ramp = (lo: number, hi: number) => (i: number) => lo + ((hi - lo) * i) / (SIZE.width * SIZE.height - 1);

describe('stretchOf', () => {
  it('stretches a flat picture by 1 / its percentile span, about its mid-band', () => {
    const { gain, mid } = stretchOf(grey(ramp(0.4, 0.6)), 0, SIZE, STRETCH);
    const span = 0.2 * 0.98; // the 1st to the 99th percentile of an even ramp
    assert.ok(Math.abs(gain - 1 / span) < 1e-4, `gain ${gain}`);
    assert.ok(Math.abs(mid - 0.5) < 1e-6);
  });

  it('caps the gain, and leaves a picture that spans maxSpan or more alone', () => {
    assert.equal(stretchOf(grey(ramp(0.5, 0.52)), 0, SIZE, STRETCH).gain, 8);
    assert.equal(stretchOf(grey(ramp(0.1, 0.9)), 0, SIZE, STRETCH).gain, 1);
  });

  it('leaves a flat but noisy picture alone when a noise threshold is given', () => {
    const checker = grey((i) => (i % 2 === (Math.floor(i / SIZE.width) % 2) ? 0.55 : 0.45)); // noise level about 0.17
    assert.ok(stretchOf(checker, 0, SIZE, STRETCH).gain > 1, 'without a threshold it is stretched');
    assert.equal(stretchOf(checker, 0, SIZE, { ...STRETCH, noiseThreshold: 0.05 }).gain, 1);
  });
});

describe('stretchContrast', () => {
  it('maps a flat picture onto 8-bit levels about 0.5, picture by picture in a batch', () => {
    const batch = new Float32Array([...grey(ramp(0, 1)), ...grey(ramp(0.4, 0.6))]);
    const untouched = batch.slice(0, VALUES);
    assert.equal(stretchContrast(batch, 2, SIZE, STRETCH), 1);
    assert.deepEqual(batch.subarray(0, VALUES), untouched, 'the full-range picture is left as it was');
    const gain = 1 / (0.2 * 0.98);
    for (let i = 0; i < SIZE.width * SIZE.height; i++) {
      const expected = Math.round(Math.min(1, Math.max(0, (ramp(0.4, 0.6)(i) - 0.5) * gain + 0.5)) * 255);
      assert.ok(Math.abs(((batch[VALUES + i]! + 1) / 2) * 255 - expected) < 1e-3, `pixel ${i}`);
    }
  });

  it('gives what training/stretch_edit.py gives (test/fixtures/model/contrast-stretch.json)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../fixtures/model/contrast-stretch.json', import.meta.url), 'utf8'));
    const size = { width: fixture.width, height: fixture.height };
    const planes = Float32Array.from(fixture.input as number[], (v) => (2 * v) / 255 - 1);
    const batch = planes.length / (3 * size.width * size.height);
    assert.equal(stretchContrast(planes, batch, size, fixture.params), 2);
    const levels = Array.from(planes, (v) => Math.round(((v + 1) / 2) * 255));
    assert.deepEqual(levels, fixture.output);
  });
});
