import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { counterDelta, histogramMeanDelta, MetricsSnapshot, parsePrometheusText } from '../../src/bench/prometheus.js';

const BEFORE = `# HELP decorruptor_frames_dropped_total Frames dropped before inference.
# TYPE decorruptor_frames_dropped_total counter
decorruptor_frames_dropped_total{stream="s1",reason="stale"} 3
decorruptor_frames_dropped_total{stream="s2",reason="stale"} 1
decorruptor_inference_stage_ms_sum{stage="unet"} 100
decorruptor_inference_stage_ms_count{stage="unet"} 10
decorruptor_inference_stage_ms_bucket{le="+Inf",stage="unet"} 10
decorruptor_nodejs_eventloop_lag_p99_seconds 0.012
odd_label{text="a \\"quoted\\" value"} 1
`;

const AFTER = `decorruptor_frames_dropped_total{stream="s1",reason="stale"} 13
decorruptor_frames_dropped_total{stream="s2",reason="stale"} 6
decorruptor_inference_stage_ms_sum{stage="unet"} 160
decorruptor_inference_stage_ms_count{stage="unet"} 13
`;

describe('parsePrometheusText', () => {
  it('reads names, labels and values and skips comments', () => {
    const samples = parsePrometheusText(BEFORE);
    assert.equal(samples.length, 7);
    assert.deepEqual(samples[0], { name: 'decorruptor_frames_dropped_total', labels: { stream: 's1', reason: 'stale' }, value: 3 });
    assert.deepEqual(samples[4].labels, { le: '+Inf', stage: 'unet' });
    assert.equal(samples[5].value, 0.012);
    assert.equal(samples[6].labels.text, 'a "quoted" value');
  });
});

describe('MetricsSnapshot deltas', () => {
  const before = new MetricsSnapshot(parsePrometheusText(BEFORE), 0);
  const after = new MetricsSnapshot(parsePrometheusText(AFTER), 5000);

  it('sums a counter over its series, or over those matching some labels', () => {
    assert.equal(before.sum('decorruptor_frames_dropped_total'), 4);
    assert.equal(counterDelta(before, after, 'decorruptor_frames_dropped_total'), 15);
    assert.equal(counterDelta(before, after, 'decorruptor_frames_dropped_total', { stream: 's2' }), 5);
    assert.equal(before.sum('no_such_metric'), 0);
  });

  it('reads a value, or null where no series matches (unknown, not 0)', () => {
    assert.equal(before.value('decorruptor_frames_dropped_total'), 4);
    assert.equal(after.value('decorruptor_frames_dropped_total', { stream: 's2' }), before.sum('decorruptor_frames_dropped_total', { stream: 's2' }) + 5);
    assert.equal(before.value('no_such_metric'), null);
    assert.equal(before.value('decorruptor_frames_dropped_total', { stream: 'gone' }), null);
  });

  it('averages the histogram observations made between the scrapes', () => {
    assert.equal(histogramMeanDelta(before, after, 'decorruptor_inference_stage_ms', { stage: 'unet' }), 20);
    assert.ok(Number.isNaN(histogramMeanDelta(before, after, 'decorruptor_inference_stage_ms', { stage: 'decode' })));
  });

  it('lists the values of a label', () => {
    assert.deepEqual(before.labelValues('decorruptor_frames_dropped_total', 'stream'), ['s1', 's2']);
  });
});
