import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CORRUPTION_TYPES,
  CorruptionError,
  corruptionSchedule,
  createCorruptionStage,
  formatCorruptionSpec,
  parseCorruptionSpec,
} from '../../src/corrupt/index.js';
import { testPattern } from '../../src/corrupt/test-pattern.js';
import type { Frame } from '../../src/stream/frame.js';

function expectInvalid(f: () => unknown, part: string, ...fragments: string[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof CorruptionError);
    assert.equal(e.code, 'CORRUPTION_INVALID');
    assert.equal(e.part, part);
    for (const fragment of fragments) assert.ok(e.message.includes(fragment), `"${e.message}" should mention ${fragment}`);
    return true;
  });
}

describe('parseCorruptionSpec', () => {
  it('parses type:severity, tolerating case, spaces and hyphens', () => {
    assert.deepEqual(parseCorruptionSpec('fog:4'), { type: 'fog', severity: 4 });
    assert.deepEqual(parseCorruptionSpec(' Motion-Blur : 2 '), { type: 'motion_blur', severity: 2 });
    assert.deepEqual(parseCorruptionSpec('speckle_noise:5'), { type: 'speckle_noise', severity: 5 });
    assert.equal(formatCorruptionSpec(parseCorruptionSpec('JPEG_compression:1')), 'jpeg_compression:1');
  });

  it('names the bad part in its error', () => {
    expectInvalid(() => parseCorruptionSpec('fogg:4'), 'type', "'fogg'", 'known types', 'gaussian_noise');
    expectInvalid(() => parseCorruptionSpec('fog:0'), 'severity', "'0'", '1 to 5');
    expectInvalid(() => parseCorruptionSpec('fog:6'), 'severity', "'6'");
    expectInvalid(() => parseCorruptionSpec('fog:2.5'), 'severity', "'2.5'");
    expectInvalid(() => parseCorruptionSpec('fog:'), 'severity', "''");
    expectInvalid(() => parseCorruptionSpec('fog'), 'spec', "'fog'", 'no severity', 'fog:4');
    expectInvalid(() => parseCorruptionSpec('fog:4:1'), 'spec', 'more than one');
    expectInvalid(() => parseCorruptionSpec('  '), 'spec', 'empty');
  });
});

describe('corruptionSchedule', () => {
  it("'cycle' walks the 15 standard types at one severity, one per period, then wraps", () => {
    const s = corruptionSchedule('cycle', 1000, { severity: 3 });
    assert.equal(s.specs.length, 15);
    assert.deepEqual(s.specs.map((x) => x.type), [...CORRUPTION_TYPES]);
    assert.ok(s.specs.every((x) => x.severity === 3));
    assert.deepEqual(s.at(0), { type: 'gaussian_noise', severity: 3 });
    assert.deepEqual(s.at(999.9), { type: 'gaussian_noise', severity: 3 });
    assert.deepEqual(s.at(1000), { type: 'shot_noise', severity: 3 });
    assert.deepEqual(s.at(14_500), { type: 'jpeg_compression', severity: 3 });
    assert.deepEqual(s.at(15_000), { type: 'gaussian_noise', severity: 3 });
    assert.equal(s.segmentAt(15_000), 15);
    assert.equal(s.segmentAt(-5), 0);
  });

  it("defaults 'cycle' to severity 5 and accepts 'cycle:N'", () => {
    assert.equal(corruptionSchedule('cycle', 10).at(0).severity, 5);
    assert.equal(corruptionSchedule('cycle:2', 10).at(0).severity, 2);
    expectInvalid(() => corruptionSchedule('cycle:9' as 'cycle', 10), 'severity', "'9'");
  });

  it('cycles an explicit list of specs', () => {
    const s = corruptionSchedule(['fog:4', 'snow:2'], 500);
    assert.deepEqual(s.at(0), { type: 'fog', severity: 4 });
    assert.deepEqual(s.at(600), { type: 'snow', severity: 2 });
    assert.deepEqual(s.at(1100), { type: 'fog', severity: 4 });
    assert.ok(Object.isFrozen(s.specs));
  });

  it('rejects bad lists and periods', () => {
    expectInvalid(() => corruptionSchedule(['fog:4', 'smog:1'], 500), 'type', "'smog'");
    expectInvalid(() => corruptionSchedule([], 500), 'spec', 'at least one');
    expectInvalid(() => corruptionSchedule('cycle', 0), 'period', '0');
    expectInvalid(() => corruptionSchedule('cycle', Number.POSITIVE_INFINITY), 'period');
  });
});

describe('createCorruptionStage', () => {
  const image = testPattern(48, 32);
  const frame = (seq: number, ptsMs: number): Frame => ({
    streamId: 'cam',
    seq,
    ptsMs,
    capturedAt: 0,
    width: image.width,
    height: image.height,
    data: image.data,
    discontinuity: false,
    meta: { truth: 'cat' },
  });

  it('corrupts by schedule and records the spec in meta, keeping other fields', async () => {
    const stage = createCorruptionStage({ schedule: corruptionSchedule(['fog:3', 'gaussian_noise:5'], 1000), seed: 7 });
    const out = await stage(frame(0, 10));
    assert.equal(out.meta?.corruption, 'fog:3');
    assert.equal(out.meta?.truth, 'cat');
    assert.equal(out.streamId, 'cam');
    assert.equal(out.data.length, image.data.length);
    assert.notDeepEqual(out.data, image.data);
    assert.equal((await stage(frame(40, 1200))).meta?.corruption, 'gaussian_noise:5');
  });

  it('auto reseeding: noise flickers per frame, fog stays put within a period', async () => {
    const stage = createCorruptionStage({ schedule: corruptionSchedule(['fog:3', 'gaussian_noise:5'], 1000) });
    assert.deepEqual((await stage(frame(0, 0))).data, (await stage(frame(1, 33))).data);
    assert.notDeepEqual((await stage(frame(30, 1000))).data, (await stage(frame(31, 1033))).data);
    assert.deepEqual((await stage(frame(30, 1000))).data, (await stage(frame(30, 1000))).data);
  });

  it('per-frame and per-segment modes override the default', async () => {
    const schedule = corruptionSchedule(['fog:3'], 1000);
    const perFrame = createCorruptionStage({ schedule, reseed: 'per-frame' });
    assert.notDeepEqual((await perFrame(frame(0, 0))).data, (await perFrame(frame(1, 33))).data);
    const perSegment = createCorruptionStage({ schedule: corruptionSchedule(['impulse_noise:3'], 1000), reseed: 'per-segment' });
    assert.deepEqual((await perSegment(frame(0, 0))).data, (await perSegment(frame(1, 33))).data);
  });
});
