import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { alphasCumprod } from '../../src/model/noise-schedule.js';
import { lcmTimesteps, sampleLcm } from '../../src/model/samplers/lcm.js';
import { ddimTimesteps, imageGuidanceScales, sampleDdim } from '../../src/model/samplers/ddim.js';

// Reference values come from an independent numpy implementation:
// training/fixtures/make_sampler_fixtures.py
const fixture = JSON.parse(readFileSync(new URL('../fixtures/model/samplers.json', import.meta.url), 'utf8')) as {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  batch: number;
  latentSize: number;
  alphasCumprodProbe: { indices: number[]; scaledLinear: number[]; linear: number[] };
  lcmSchedules: Record<string, number[]>;
  cond: number[];
  lcm: Array<{
    steps: number;
    explicitTimesteps: number[] | null;
    betaSchedule: 'scaled_linear' | 'linear';
    guidance: number;
    timesteps: number[];
    noise: number[][];
    expected: number[];
  }>;
  ddim: Array<{
    steps: number;
    imageGuidance: { start: number; end: number };
    setAlphaToOne: boolean;
    betaSchedule: 'scaled_linear' | 'linear';
    timesteps: number[];
    scales: number[];
    noise: number[];
    expected: number[];
  }>;
};

const TOLERANCE = 1e-4;

function schedule(betaSchedule: 'scaled_linear' | 'linear') {
  return alphasCumprod({
    numTrainTimesteps: fixture.numTrainTimesteps,
    betaStart: fixture.betaStart,
    betaEnd: fixture.betaEnd,
    betaSchedule,
  });
}

/** The fixture's analytic fake unet, same formula as the Python generator. */
function fakeUnet(sample: Float32Array, cond: Float32Array, t: number, guidance: number): Float32Array {
  const out = new Float32Array(sample.length);
  for (let j = 0; j < sample.length; j++) {
    const position = ((j % fixture.latentSize) % 7) * 0.01;
    out[j] = Math.tanh(0.3 * sample[j] - 0.2 * cond[j] + 1e-4 * t * guidance) + position + 0.05 * sample[j] * cond[j];
  }
  return out;
}

function maxAbsDiff(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]));
  return max;
}

describe('noise schedule', () => {
  it('matches the reference alphas_cumprod for both beta schedules', () => {
    const probe = fixture.alphasCumprodProbe;
    const scaled = schedule('scaled_linear');
    const linear = schedule('linear');
    assert.ok(maxAbsDiff(probe.indices.map((i) => scaled[i]), probe.scaledLinear) < 1e-12);
    assert.ok(maxAbsDiff(probe.indices.map((i) => linear[i]), probe.linear) < 1e-12);
  });
});

describe('LCM sampler', () => {
  it('picks the LCM timesteps for 1..8 steps like the reference', () => {
    for (const [steps, expected] of Object.entries(fixture.lcmSchedules)) {
      assert.deepEqual(lcmTimesteps(Number(steps), 50, 1000), expected, `steps=${steps}`);
    }
    assert.deepEqual(lcmTimesteps(4, 50, 1000), [999, 759, 499, 259]);
  });

  for (const c of fixture.lcm) {
    it(`matches the reference: ${c.steps} steps, ${c.betaSchedule}, ${c.explicitTimesteps ? 'explicit' : 'LCM'} timesteps`, async () => {
      const timesteps = c.explicitTimesteps ?? lcmTimesteps(c.steps, 50, fixture.numTrainTimesteps);
      assert.deepEqual(timesteps, c.timesteps);
      const calls: number[] = [];
      const out = await sampleLcm(
        async (sample, cond, t, guidance) => {
          calls.push(t);
          assert.equal(guidance, c.guidance);
          return fakeUnet(sample, cond, t, guidance);
        },
        Float32Array.from(fixture.cond),
        {
          alphasCumprod: schedule(c.betaSchedule),
          timesteps,
          guidance: c.guidance,
          sigmaData: 0.5,
          timestepScaling: 10,
          noise: c.noise.map((n) => Float32Array.from(n)),
        },
      );
      assert.deepEqual(calls, c.timesteps, 'one unet call per timestep');
      const diff = maxAbsDiff(out, c.expected);
      assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
    });
  }

  it('rejects too few noise arrays', async () => {
    const c = fixture.lcm[0];
    await assert.rejects(
      sampleLcm(async (s) => s, Float32Array.from(fixture.cond), {
        alphasCumprod: schedule('scaled_linear'),
        timesteps: c.timesteps,
        guidance: 1,
        sigmaData: 0.5,
        timestepScaling: 10,
        noise: [Float32Array.from(c.noise[0])],
      }),
      RangeError,
    );
  });
});

describe('DDIM sampler with image guidance', () => {
  it('uses leading spacing: 20 steps over 1000 are 950..0', () => {
    assert.deepEqual(ddimTimesteps(20, 1000), Array.from({ length: 20 }, (_, i) => 950 - 50 * i));
  });

  for (const c of fixture.ddim) {
    it(`matches the reference: ${c.steps} steps, sI ${c.imageGuidance.start}->${c.imageGuidance.end}, setAlphaToOne=${c.setAlphaToOne}`, async () => {
      assert.deepEqual(ddimTimesteps(c.steps, fixture.numTrainTimesteps), c.timesteps);
      assert.ok(maxAbsDiff(imageGuidanceScales(c.steps, c.imageGuidance.start, c.imageGuidance.end), c.scales) < 1e-8);
      const n = fixture.batch * fixture.latentSize;
      const out = await sampleDdim(
        async (sample, cond, t) => {
          // One paired batch per step: [z ; z] with [image latent ; zero latent].
          assert.equal(sample.length, 2 * n);
          assert.deepEqual(sample.subarray(0, n), sample.subarray(n));
          assert.ok(cond.subarray(n).every((v) => v === 0));
          return fakeUnet(sample, cond, t, 1);
        },
        Float32Array.from(fixture.cond),
        {
          alphasCumprod: schedule(c.betaSchedule),
          numTrainTimesteps: fixture.numTrainTimesteps,
          steps: c.steps,
          imageGuidance: c.imageGuidance,
          setAlphaToOne: c.setAlphaToOne,
          noise: Float32Array.from(c.noise),
        },
      );
      const diff = maxAbsDiff(out, c.expected);
      assert.ok(diff <= TOLERANCE, `max abs diff ${diff}`);
    });
  }
});
