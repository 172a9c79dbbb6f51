import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combine, entropy, learnedWeight, predictFrame, softmax, topK } from '../../src/model/ensemble.js';

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

describe("the 'learned' ensemble", () => {
  const source = Float64Array.of(0.6, 0.3, 0.1);
  const edited = Float64Array.of(0.1, 0.8, 0.1);

  it('weighs the edit by sigmoid(weights . features): the gate score, confidences, normalised entropies, agreement', () => {
    // Only the gate's score: w = sigmoid(4 * 0.5 - 2) = 0.5, the plain average.
    close(learnedWeight({ features: ['bias', 'gate'], weights: [-2, 4] }, source, edited, 0.5), 0.5);
    const h = (p: Float64Array) => entropy(p) / Math.log(3);
    const z = 0.3 + 0.6 * 0.6 - 0.2 * 0.8 + 0.5 * h(source) - 0.7 * h(edited) + 0 * 1; // the labels disagree: agreement 0
    const rule = { features: ['bias', 'sourceConfidence', 'editedConfidence', 'sourceEntropy', 'editedEntropy', 'agreement'] as const, weights: [0.3, 0.6, -0.2, 0.5, -0.7, 9] };
    close(learnedWeight({ features: [...rule.features], weights: rule.weights }, source, edited, 0), 1 / (1 + Math.exp(-z)));
  });

  it('mixes the two distributions with that weight; a rule that trusts the edit fully answers the edit', () => {
    const mixed = combine(source, edited, 'learned', { rule: { features: ['bias'], weights: [0] }, gateScore: 0 });
    for (let i = 0; i < 3; i++) close(mixed[i]!, (source[i]! + edited[i]!) / 2);
    const trusting = predictFrame([2, 1, 0], [0, 3, 0], LABELS, 'learned', 3, { rule: { features: ['bias'], weights: [40] }, gateScore: 1 });
    assert.equal(trusting.ensemble.label, 'dog');
    assert.throws(() => combine(source, edited, 'learned'), /rule/);
  });
});
