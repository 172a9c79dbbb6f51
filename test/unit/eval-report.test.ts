import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORRUPTION_TYPES, CorruptionError, type CorruptionType } from '../../src/corrupt/index.js';
import type { Cifar10Set } from '../../src/data/cifar10.js';
import { parseCorruptionList } from '../../src/eval/corruption-list.js';
import { imageSeed } from '../../src/eval/conditions.js';
import { evaluate } from '../../src/eval/evaluate.js';
import { formatReportTable, renderReportSvg } from '../../src/eval/report.js';
import type { ConditionResult, EvalReport } from '../../src/eval/types.js';
import type { InferenceEngine } from '../../src/model/engine.js';
import type { FrameInference, Prediction } from '../../src/model/types.js';
import type { Frame } from '../../src/stream/frame.js';

const REPORT: EvalReport = {
  n: 200,
  severity: 5,
  editor: 'cm',
  noise: { source: 'bundle', seed: 7 },
  gate: null,
  ensemble: 'sum',
  clean: { source: 0.915, edited: 0.88, ensemble: 0.92, mse: { input: 0, edited: 0.00213 }, editRate: 1 },
  corruptions: {
    gaussian_noise: { source: 0.405, edited: 0.61, ensemble: 0.585, mse: { input: 0.0098, edited: 0.00431 }, editRate: 1 },
    fog: { source: 0.7, edited: 0.66, ensemble: 0.69, mse: { input: 0.05134, edited: 0.06 }, editRate: 1 },
  },
  mean: { source: 0.5525, edited: 0.635, ensemble: 0.6375, mse: { input: 0.03057, edited: 0.032155 }, editRate: 1 },
};

/** The table's rows as cells (split on runs of 2+ spaces), by the start of the condition name. */
function tableRows(table: string): (name: string) => string[] {
  const lines = table.split('\n');
  return (name) => lines.find((l) => l.startsWith(`${name} `))!.trim().split(/\s{2,}/);
}

describe('formatReportTable', () => {
  it('lists clean, each corruption and the mean in percent, with the ensemble gain and the pixel MSEs', () => {
    const lines = formatReportTable(REPORT, { elapsedMs: 2000 }).split('\n');
    assert.match(lines[0], /severity 5, 200 test images per condition, editor cm, bundle noise seed 7 /);
    assert.match(formatReportTable({ ...REPORT, noise: { source: 'per-stream', seed: 0 } }), /editor cm, a noise per image /);
    // The default sum goes unsaid; another rule is named.
    assert.doesNotMatch(lines[0], /ensemble sum/);
    assert.match(formatReportTable({ ...REPORT, ensemble: 'learned' }).split('\n')[0]!, /bundle noise seed 7, ensemble learned \(accuracy/);
    assert.match(lines[1], /^MSE in \/ MSE out: pixel MSE/);
    assert.deepEqual(lines[2].split(/\s{2,}/), ['condition', 'source', 'edited', 'ensemble', 'gain', 'MSE in', 'MSE out']);
    const row = tableRows(lines.join('\n'));
    assert.deepEqual(row('clean'), ['clean', '91.5', '88.0', '92.0', '+0.5', '0.0000', '0.0021']);
    assert.deepEqual(row('gaussian_noise'), ['gaussian_noise', '40.5', '61.0', '58.5', '+18.0', '0.0098', '0.0043']);
    assert.deepEqual(row('fog'), ['fog', '70.0', '66.0', '69.0', '-1.0', '0.0513', '0.0600']);
    assert.deepEqual(row('mean'), ['mean (2)', '55.3', '63.5', '63.7', '+8.5', '0.0306', '0.0322']);
    assert.match(lines.at(-1)!, /^600 frames in 2\.0 s \(300\.0 frames\/s\)$/);
    // Fixed width: every row lines up with the header.
    const widths = new Set(lines.slice(2, -1).map((l) => l.length));
    assert.equal(widths.size, 1, [...widths].join(', '));
  });

  it('with a corruption gate, names it and shows the share of images edited', () => {
    const rate = (r: ConditionResult, editRate: number): ConditionResult => ({ ...r, editRate });
    const report: EvalReport = {
      ...REPORT,
      gate: { mode: 'auto', threshold: 0.42 },
      clean: rate(REPORT.clean, 0.03),
      corruptions: { gaussian_noise: rate(REPORT.corruptions.gaussian_noise!, 1), fog: rate(REPORT.corruptions.fog!, 0.9) },
      mean: rate(REPORT.mean, 0.95),
    };
    const table = formatReportTable(report);
    assert.match(table.split('\n')[0]!, /bundle noise seed 7, gate auto \(threshold 0\.42\) /);
    assert.deepEqual(table.split('\n')[2]!.split(/\s{2,}/).at(-1), 'edit %');
    const row = tableRows(table);
    assert.deepEqual([row('clean').at(-1), row('fog').at(-1), row('mean').at(-1)], ['3.0', '90.0', '95.0']);
  });

  it("shows '-' for the edited MSE without editor", () => {
    const none = (r: ConditionResult): ConditionResult => ({ ...r, mse: { input: r.mse.input, edited: null } });
    const report: EvalReport = {
      ...REPORT,
      editor: 'none',
      noise: null,
      clean: none(REPORT.clean),
      corruptions: Object.fromEntries(Object.entries(REPORT.corruptions).map(([name, r]) => [name, none(r)])),
      mean: none(REPORT.mean),
    };
    const row = tableRows(formatReportTable(report));
    assert.deepEqual(row('clean').slice(-2), ['0.0000', '-']);
    assert.deepEqual(row('fog').slice(-2), ['0.0513', '-']);
    assert.deepEqual(row('mean').slice(-2), ['0.0306', '-']);
  });
});

describe('evaluate() pixel MSE', () => {
  const LABELS = ['cat', 'dog'];
  const CORRUPTIONS: CorruptionType[] = ['gaussian_noise', 'contrast'];
  /** Four images: two textured, two flat grey (100) for exact expectations. */
  const DATASET: Cifar10Set = {
    labels: LABELS,
    images: [
      Uint8Array.from({ length: 3072 }, (_, i) => (i * 37) % 256),
      Uint8Array.from({ length: 3072 }, (_, i) => (i * 11 + 7) % 256),
      new Uint8Array(3072).fill(100),
      new Uint8Array(3072).fill(100),
    ],
    targets: [0, 1, 0, 1],
  };
  const mse = (a: Uint8Array, b: Uint8Array) => a.reduce((sum, v, i) => sum + ((v - b[i]) / 255) ** 2, 0) / a.length;

  /** A fake engine: always right, its edited image made by `edit` (null: no editor); records the frames' MSEs. */
  function fakeEngine(edit: ((frame: Frame) => FrameInference['editedImage']) | null) {
    const inputMse = new Map<string, number[]>();
    const streamIds: { condition: string; image: number; streamId: string }[] = [];
    const engine = {
      info: { labels: LABELS, editor: edit ? 'fake' : 'none', noise: edit ? { source: 'per-stream', seed: 0 } : null },
      infer: async (frames: Frame[]): Promise<FrameInference[]> =>
        frames.map((frame) => {
          const condition = frame.meta!.corruption?.split(':')[0] ?? 'clean';
          const list = inputMse.get(condition) ?? [];
          list.push(mse(frame.data, DATASET.images[frame.seq]));
          inputMse.set(condition, list);
          streamIds.push({ condition, image: frame.seq, streamId: frame.streamId });
          const label = frame.meta!.truth!;
          const prediction: Prediction = { label, index: LABELS.indexOf(label), confidence: 1, topk: [] };
          return {
            source: prediction,
            edited: edit ? prediction : null,
            ensemble: prediction,
            distribution: Float32Array.from(LABELS, (_, i) => (i === prediction.index ? 1 : 0)),
            gate: null,
            editedImage: edit ? edit(frame) : null,
            timings: {} as FrameInference['timings'],
          };
        }),
    } as unknown as InferenceEngine;
    /** The mean input MSE the engine saw for a condition, computed here independently of evaluate(). */
    const seen = (condition: string) => {
      const list = inputMse.get(condition)!;
      return list.reduce((s, v) => s + v, 0) / list.length;
    };
    return { engine, seen, streamIds };
  }

  const run = (engine: InferenceEngine) => evaluate({ engine, dataset: DATASET, severity: 5, corruptions: CORRUPTIONS, batchSize: 3 });
  const all = (report: EvalReport) => [report.clean, ...CORRUPTIONS.map((c) => report.corruptions[c]), report.mean];
  const close = (actual: number | null, expected: number, what: string) =>
    assert.ok(actual !== null && Math.abs(actual - expected) < 1e-8, `${what}: ${actual} vs ${expected}`);

  it('input MSE: 0 for clean, the corrupted frames\' mean MSE to the clean images, and their mean', async () => {
    const { engine, seen } = fakeEngine(null);
    const report = await run(engine);
    assert.equal(report.clean.mse.input, 0);
    for (const c of CORRUPTIONS) {
      assert.ok(seen(c) > 0.001, `${c} changes the images`);
      close(report.corruptions[c].mse.input, seen(c), c);
    }
    close(report.mean.mse.input, (seen(CORRUPTIONS[0]) + seen(CORRUPTIONS[1])) / 2, 'mean');
  });

  it('each image has its own editor noise stream, the same one in every condition', async () => {
    const { engine, streamIds } = fakeEngine(null);
    await run(engine);
    const byImage = new Map<number, Set<string>>();
    for (const { image, streamId } of streamIds) byImage.set(image, (byImage.get(image) ?? new Set()).add(streamId));
    assert.equal(byImage.size, DATASET.images.length);
    for (const ids of byImage.values()) assert.equal(ids.size, 1, 'one stream per image across conditions');
    const distinct = new Set([...byImage.values()].map((ids) => [...ids][0]));
    assert.equal(distinct.size, byImage.size, 'different images, different streams');
    assert.equal(new Set(streamIds.map((s) => s.condition)).size, CORRUPTIONS.length + 1);
  });

  it('edited MSE is null without editor', async () => {
    const report = await run(fakeEngine(null).engine);
    for (const r of all(report)) assert.equal(r.mse.edited, null);
    assert.deepEqual(report.clean.mse, { input: 0, edited: null });
  });

  it('an editor that restores the clean image scores edited MSE 0', async () => {
    const report = await run(fakeEngine((frame) => ({ width: 32, height: 32, data: DATASET.images[frame.seq].slice() })).engine);
    for (const r of all(report)) assert.equal(r.mse.edited, 0);
    assert.ok(report.mean.mse.input > 0);
  });

  it('edit rate: the share of images whose result carries an edited image (a gate skipped the others)', async () => {
    // The gate of this fake edits the textured images only (0 and 1 of 4).
    const report = await run(fakeEngine((frame) => (frame.seq < 2 ? { width: 32, height: 32, data: frame.data.slice() } : null)).engine);
    for (const r of all(report)) assert.equal(r.editRate, 0.5);
    assert.equal((await run(fakeEngine(null).engine)).clean.editRate, 0);
  });

  it('an editor that returns its input scores edited MSE = input MSE', async () => {
    const report = await run(fakeEngine((frame) => ({ width: 32, height: 32, data: frame.data.slice() })).engine);
    for (const r of all(report)) assert.equal(r.mse.edited, r.mse.input);
  });

  for (const size of [32, 64, 16]) {
    it(`measures an edited image of ${size}x${size} at 32x32, on the [0, 1] scale`, async () => {
      // The grey images (100) edited to 151: every value off by 51/255 = 0.2, MSE 0.04; the textured
      // images edited to their clean selves (at 32x32 only), MSE 0.
      const flat = (value: number) => ({ width: size, height: size, data: new Uint8Array(size * size * 3).fill(value) });
      const report = await run(
        fakeEngine((frame) => (frame.seq >= 2 ? flat(151) : size === 32 ? { width: 32, height: 32, data: DATASET.images[frame.seq] } : flat(100))).engine,
      );
      if (size === 32) {
        for (const r of all(report)) assert.equal(r.mse.edited, 0.02, 'half the images at 0.04, half at 0');
      } else {
        // The textured images against a flat 100: the same in every condition.
        const textured = (mse(DATASET.images[0], new Uint8Array(3072).fill(100)) + mse(DATASET.images[1], new Uint8Array(3072).fill(100))) / 2;
        for (const r of all(report)) close(r.mse.edited, (2 * 0.04 + 2 * textured) / 4, `${size}x${size}`);
      }
    });
  }
});

describe('renderReportSvg', () => {
  it('draws a source and an ensemble bar per group, heights proportional to accuracy', () => {
    const svg = renderReportSvg(REPORT);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="16" height="([\d.]+)" fill="[^"]+"><title>([^<]+)<\/title>/g)];
    assert.equal(bars.length, 2 * 4, 'clean, 2 corruptions, mean');
    const height = (title: string) => Number(bars.find((b) => b[2] === title)![1]);
    assert.equal(height('clean: source 91.5%'), Number((0.915 * 260).toFixed(1)));
    assert.equal(height('fog: ensemble 69.0%'), Number((0.69 * 260).toFixed(1)));
    for (const name of ['clean', 'gaussian_noise', 'fog', 'mean (2)']) assert.ok(svg.includes(`>${name}</text>`));
  });

  it('escapes text', () => {
    const svg = renderReportSvg({ ...REPORT, editor: '<x&y>' });
    assert.ok(svg.includes('editor &lt;x&amp;y&gt;'));
    assert.ok(!svg.includes('<x&y>'));
  });
});

describe('parseCorruptionList', () => {
  it('defaults to the 15 standard types', () => {
    assert.deepEqual(parseCorruptionList(undefined), [...CORRUPTION_TYPES]);
  });

  it('forgives case, dashes and spaces, drops duplicates, expands all and extra', () => {
    assert.deepEqual(parseCorruptionList(' Fog, motion-blur,fog ,JPEG_compression'), ['fog', 'motion_blur', 'jpeg_compression']);
    assert.equal(parseCorruptionList('all').length, 15);
    assert.deepEqual(parseCorruptionList('extra'), ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate']);
  });

  it('names an unknown corruption', () => {
    assert.throws(() => parseCorruptionList('fog,smoke'), (error: unknown) => error instanceof CorruptionError && /'smoke'/.test(error.message));
    assert.throws(() => parseCorruptionList(' , '), CorruptionError);
  });
});

describe('imageSeed', () => {
  it('depends only on (seed, index) and separates both', () => {
    assert.equal(imageSeed(0, 7), imageSeed(0, 7));
    const seeds = new Set([0, 1, 2].flatMap((s) => [0, 1, 9999].map((i) => imageSeed(s, i))));
    assert.equal(seeds.size, 9);
  });
});
