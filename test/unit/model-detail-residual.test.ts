/** The detail residual: Immerkaer's noise level, and where the VAE's lost detail is put back. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addDetailResidual, noiseLevel } from '../../src/model/detail-residual.js';

const SIZE = { width: 8, height: 6 };
const VALUES = 3 * SIZE.width * SIZE.height;

/** Planar [1,3,H,W] in [-1,1] from a [0,1] picture f(x, y, c). */
function planes(f: (x: number, y: number, c: number) => number): Float32Array {
  const out = new Float32Array(VALUES);
  for (let c = 0; c < 3; c++) for (let y = 0; y < SIZE.height; y++) for (let x = 0; x < SIZE.width; x++) out[(c * SIZE.height + y) * SIZE.width + x] = f(x, y, c) * 2 - 1;
  return out;
}

describe('noiseLevel', () => {
  it('is 0 on smooth shading and sqrt(pi/2)/6 x 16a on a checkerboard of amplitude a ([0,1] scale)', () => {
    assert.ok(noiseLevel(planes((x, y, c) => 0.1 + 0.05 * x + 0.03 * y + 0.1 * c), 0, SIZE) < 1e-6);
    const checker = planes((x, y) => ((x + y) % 2 === 0 ? 0.6 : 0.4));
    assert.ok(Math.abs(noiseLevel(checker, 0, SIZE) - (Math.sqrt(Math.PI / 2) / 6) * 16 * 0.1) < 1e-5);
  });

  it('reads the picture at its offset in a batch', () => {
    const batch = new Float32Array(2 * VALUES);
    batch.set(planes((x, y) => ((x + y) % 2 === 0 ? 0.6 : 0.4)), VALUES);
    assert.equal(noiseLevel(batch, 0, SIZE), 0);
    assert.ok(noiseLevel(batch, VALUES, SIZE) > 0.3);
  });
});

describe('addDetailResidual', () => {
  it('adds alpha x (input - reconstruction) to the clamped edit, and leaves a noisy picture its plain edit', () => {
    const smooth = planes((x) => 0.2 + 0.05 * x);
    const noisy = planes((x, y) => ((x + y) % 2 === 0 ? 0.9 : 0.1));
    const input = new Float32Array([...smooth, ...noisy]);
    const reconstructed = new Float32Array(2 * VALUES).fill(-0.5);
    const edited = new Float32Array(2 * VALUES).fill(1.25); // out of range: clamped to 1 before the residual
    addDetailResidual(edited, input, reconstructed, 2, SIZE, { alpha: 0.5, noiseThreshold: 0.05 });
    for (let i = 0; i < VALUES; i++) assert.ok(Math.abs(edited[i]! - (1 + 0.5 * (smooth[i]! + 0.5))) < 1e-6, `value ${i}`);
    assert.ok(edited.subarray(VALUES).every((v) => v === 1.25), 'the noisy picture keeps its plain edit');
  });
});
