import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORRUPTION_TYPES, CorruptionError } from '../../src/corrupt/index.js';
import { parseCorruptionList } from '../../src/eval/corruption-list.js';
import { imageSeed } from '../../src/eval/evaluate.js';
import { formatReportTable, renderReportSvg } from '../../src/eval/report.js';
import type { EvalReport } from '../../src/eval/types.js';

const REPORT: EvalReport = {
  n: 200,
  severity: 5,
  editor: 'cm',
  clean: { source: 0.915, edited: 0.88, ensemble: 0.92 },
  corruptions: {
    gaussian_noise: { source: 0.405, edited: 0.61, ensemble: 0.585 },
    fog: { source: 0.7, edited: 0.66, ensemble: 0.69 },
  },
  mean: { source: 0.5525, edited: 0.635, ensemble: 0.6375 },
};

describe('formatReportTable', () => {
  it('lists clean, each corruption and the mean in percent, with the ensemble gain', () => {
    const lines = formatReportTable(REPORT, { elapsedMs: 2000 }).split('\n');
    assert.match(lines[0], /severity 5, 200 test images per condition, editor cm/);
    assert.deepEqual(lines[1].split(/\s+/), ['condition', 'source', 'edited', 'ensemble', 'gain']);
    const row = (name: string) => lines.find((l) => l.startsWith(`${name} `))!.trim().split(/\s{2,}/);
    assert.deepEqual(row('clean'), ['clean', '91.5', '88.0', '92.0', '+0.5']);
    assert.deepEqual(row('gaussian_noise'), ['gaussian_noise', '40.5', '61.0', '58.5', '+18.0']);
    assert.deepEqual(row('fog'), ['fog', '70.0', '66.0', '69.0', '-1.0']);
    assert.deepEqual(row('mean'), ['mean (2)', '55.3', '63.5', '63.7', '+8.5']);
    assert.match(lines.at(-1)!, /^600 frames in 2\.0 s \(300\.0 frames\/s\)$/);
  });
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
