import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combine, entropy, predictFrame, softmax, topK } from '../../src/model/ensemble.js';

const LABELS = ['cat', 'dog', 'ship'];
const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

describe('softmax', () => {
  it('normalises and is shift invariant, also for huge logits', () => {
    const p = softmax([1, 2, 3]);
    close(p.reduce((a, b) => a + b, 0), 1);
    const q = softmax([1001, 1002, 1003]);
    for (let i = 0; i < 3; i++) close(p[i], q[i]);
    close(p[2] / p[1], Math.E);
  });

  it('reads a row of a batch through offset and k', () => {
    const batch = Float32Array.from([0, 0, 0, 5, 0, 0]);
    const row = softmax(batch, 3, 3);
    assert.equal(row.length, 3);
    assert.ok(row[0] > 0.98);
  });
});

describe('topK', () => {
  it('sorts by probability with labels and indices; k clamps to the class count', () => {
    const scores = topK([0.2, 0.5, 0.3], LABELS, 2);
    assert.deepEqual(scores.map((s) => s.label), ['dog', 'ship']);
    assert.deepEqual(scores.map((s) => s.index), [1, 2]);
    assert.equal(topK([0.2, 0.5, 0.3], LABELS, 10).length, 3);
  });
});

describe('combine', () => {
  const source = Float64Array.from([0.6, 0.3, 0.1]); // confident-ish
  const edited = Float64Array.from([0.1, 0.5, 0.4]); // flatter, lower max

  it("'sum' averages the two distributions", () => {
    const out = combine(source, edited, 'sum');
    [0.35, 0.4, 0.25].forEach((v, i) => close(out[i], v));
  });

  it("'confidence' keeps the higher top probability", () => {
    assert.equal(combine(source, edited, 'confidence'), source);
    assert.equal(combine(edited, source, 'confidence'), source);
  });

  it("'entropy' keeps the lower-entropy distribution", () => {
    assert.ok(entropy(source) < entropy(edited));
    assert.equal(combine(source, edited, 'entropy'), source);
    assert.equal(combine(edited, source, 'entropy'), source);
  });

  it('keeps the source on ties', () => {
    const a = Float64Array.from([0.5, 0.5, 0]);
    const b = Float64Array.from([0, 0.5, 0.5]);
    assert.equal(combine(a, b, 'confidence'), a);
    assert.equal(combine(a, b, 'entropy'), a);
  });
});

describe('predictFrame', () => {
  it('reports source, edited and ensemble predictions', () => {
    const out = predictFrame([2, 0, 0], [0, 3, 0], LABELS, 'sum', 2);
    assert.equal(out.source.label, 'cat');
    assert.equal(out.edited?.label, 'dog');
    assert.equal(out.ensemble.topk.length, 2);
    const expectedDog = (softmax([2, 0, 0])[1] + softmax([0, 3, 0])[1]) / 2;
    close(out.ensemble.topk.find((s) => s.label === 'dog')!.probability, expectedDog);
    assert.equal(out.ensemble.confidence, out.ensemble.topk[0].probability);
  });

  it('without an edit, the ensemble is the source prediction', () => {
    const out = predictFrame([0, 0, 1], null, LABELS, 'entropy', 1);
    assert.equal(out.edited, null);
    assert.deepEqual(out.ensemble, out.source);
    assert.equal(out.source.label, 'ship');
  });
});
