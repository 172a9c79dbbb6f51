import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { finiteOrNull, mean, median, percentile, ratio, round, summarizeLatency } from '../../src/bench/stats.js';
import { medianStages } from '../../src/bench/stages.js';
import type { StageTimings } from '../../src/model/types.js';

describe('percentile', () => {
  it('interpolates linearly between the nearest ranks', () => {
    const xs = [10, 20, 30, 40, 50];
    assert.equal(percentile(xs, 0), 10);
    assert.equal(percentile(xs, 100), 50);
    assert.equal(percentile(xs, 50), 30);
    assert.ok(Math.abs(percentile(xs, 95) - 48) < 1e-9);
    assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  });

  it('sorts a copy: the input order does not matter and is left alone', () => {
    const xs = [5, 1, 4, 2, 3];
    assert.equal(percentile(xs, 50), 3);
    assert.deepEqual(xs, [5, 1, 4, 2, 3]);
  });

  it('a single sample is every percentile; no sample is NaN', () => {
    assert.equal(percentile([7], 1), 7);
    assert.equal(percentile([7], 99), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it('rejects a percentile outside 0-100', () => {
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });
});

describe('median, mean, ratio, rounding', () => {
  it('median of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('mean; NaN when empty', () => {
    assert.equal(mean([1, 2, 3, 6]), 3);
    assert.ok(Number.isNaN(mean([])));
  });

  it('ratio is NaN unless the divisor is a positive number', () => {
    assert.equal(ratio(800, 100), 8);
    assert.ok(Number.isNaN(ratio(1, 0)));
    assert.ok(Number.isNaN(ratio(Number.NaN, 2)));
  });

  it('finiteOrNull turns "not measured" into null and rounds the rest', () => {
    assert.equal(finiteOrNull(Number.NaN), null);
    assert.equal(finiteOrNull(Infinity), null);
    assert.equal(finiteOrNull(1.23456, 2), 1.23);
    assert.equal(round(2.5, 0), 3);
  });
});

describe('summarizeLatency', () => {
  it('reports p50/p95/p99/max and the sample count', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const s = summarizeLatency(samples);
    assert.equal(s.samples, 100);
    assert.equal(s.p50_ms, 50.5);
    assert.equal(s.p95_ms, 95.1);
    assert.equal(s.p99_ms, 99);
    assert.equal(s.max_ms, 100);
  });

  it('gives nulls, not NaN, without samples (JSON-safe)', () => {
    assert.deepEqual(summarizeLatency([]), { p50_ms: null, p95_ms: null, p99_ms: null, max_ms: null, samples: 0 });
  });
});

describe('medianStages', () => {
  const timing = (unetMs: number, queueMs: number, totalMs: number, batchSize = 16): StageTimings => ({
    queueMs,
    preprocessMs: 1,
    classifyMs: 2,
    gateMs: 0,
    encodeMs: 3,
    unetMs,
    decodeMs: 4,
    ensembleMs: 0.5,
    totalMs,
    batchSize,
  });

  it('takes the median of each stage; compute is total minus the queue wait', () => {
    const stages = medianStages([timing(10, 0, 20), timing(30, 20, 60), timing(20, 10, 40, 8)]);
    assert.equal(stages.unet, 20);
    assert.equal(stages.queue, 10);
    assert.equal(stages.total, 40);
    assert.equal(stages.compute, 30);
    assert.equal(stages.preprocess, 1);
    assert.equal(stages.batch_size, 16);
  });
});
