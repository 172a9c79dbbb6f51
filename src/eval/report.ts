/** Human-readable views of an EvalReport: a text table for the terminal and an SVG bar chart. */
import type { Accuracy, ConditionResult, EvalReport } from './types.js';

export interface TableOptions {
  /** Wall time of the evaluation, for the footer line. */
  elapsedMs?: number;
}

const percent = (x: number) => (x * 100).toFixed(1);
const gain = (a: Accuracy) => {
  const points = (a.ensemble - a.source) * 100;
  return `${points >= 0 ? '+' : ''}${points.toFixed(1)}`;
};
const mse = (x: number | null) => (x === null ? '-' : x.toFixed(4));

/** ", bundle noise seed 7" / ", a noise per image": how the editor's noise was drawn. */
function noiseNote(report: EvalReport): string {
  if (!report.noise) return '';
  return report.noise.source === 'bundle' ? `, bundle noise seed ${report.noise.seed}` : ', a noise per image';
}

/** "severity 5" for images corrupted here; "images from DIR (as given)" for files made elsewhere. */
function imagesNote(report: EvalReport): string {
  return report.images === undefined ? `severity ${report.severity}` : `images from ${report.images} (as given, no corruption applied here)`;
}

/** ", ensemble learned": said when the ensemble is not the default sum (and there is an editor). */
function ensembleNote(report: EvalReport): string {
  return report.editor !== 'none' && report.ensemble !== 'sum' ? `, ensemble ${report.ensemble}` : '';
}

/** ", gate auto (threshold 0.52)": whether the corruption gate chose the images to edit. */
function gateNote(report: EvalReport): string {
  return report.gate ? `, gate ${report.gate.mode} (threshold ${report.gate.threshold})` : '';
}

/**
 * A fixed-width table, accuracies in percent, then the pixel MSE to the clean image of the input
 * frame and of the edited image ('-' without editor), and with a corruption gate the share of
 * images the editor ran on (edit %):
 *
 *   condition          source  edited  ensemble    gain    MSE in  MSE out
 *   clean                91.0    88.5      91.5    +0.5    0.0000   0.0021
 *   gaussian_noise       40.5    61.0      58.5   +18.0    0.0098   0.0043
 *   ...
 *   mean (15)            ...
 */
export function formatReportTable(report: EvalReport, options: TableOptions = {}): string {
  const names = Object.keys(report.corruptions);
  const rows: Array<[string, ConditionResult]> = [
    ['clean', report.clean],
    ...names.map((name): [string, ConditionResult] => [name, report.corruptions[name]]),
  ];
  const meanLabel = `mean (${names.length})`;
  const width = Math.max('condition'.length, meanLabel.length, ...rows.map(([name]) => name.length));
  // Cell widths; the MSE columns stand a little apart from the accuracy ones.
  const gated = report.gate !== null;
  const widths = [6, 6, 8, 6, 8, 7, 6];
  const line = (name: string, cells: string[]) => `${name.padEnd(width)}  ${cells.map((c, i) => c.padStart(widths[i])).join('  ')}`;
  const row = ([name, r]: [string, ConditionResult]) =>
    line(name, [percent(r.source), percent(r.edited), percent(r.ensemble), gain(r), mse(r.mse.input), mse(r.mse.edited), ...(gated ? [percent(r.editRate)] : [])]);
  const header = line('condition', ['source', 'edited', 'ensemble', 'gain', 'MSE in', 'MSE out', ...(gated ? ['edit %'] : [])]);
  const rule = '-'.repeat(header.length);
  const out = [
    `CIFAR-10-C style, ${imagesNote(report)}, ${report.n} test images per condition, editor ${report.editor}${noiseNote(report)}${gateNote(report)}${ensembleNote(report)} (accuracy %, gain = ensemble - source)`,
    'MSE in / MSE out: pixel MSE ([0,1] scale) of the input frame / the edited image against the clean image',
    header,
    rule,
    row(rows[0]),
    ...rows.slice(1).map(row),
    rule,
    row([meanLabel, report.mean]),
  ];
  if (options.elapsedMs !== undefined) {
    const frames = report.n * rows.length;
    const seconds = options.elapsedMs / 1000;
    out.push(`${frames} frames in ${seconds.toFixed(1)} s (${(frames / Math.max(seconds, 1e-9)).toFixed(1)} frames/s)`);
  }
  return out.join('\n');
}

/** Chart geometry, in SVG user units. */
const CHART = {
  plotHeight: 260,
  top: 56,
  left: 56,
  right: 24,
  labelSpace: 120,
  groupWidth: 44,
  barWidth: 16,
} as const;
const COLORS = { source: '#9aa0a6', ensemble: '#1a73e8', grid: '#e0e0e0', text: '#202124' } as const;

/**
 * A grouped bar chart (no dependencies): for clean, each corruption and the mean, the source
 * accuracy next to the ensemble's. Hovering a bar shows its exact value (<title>).
 */
export function renderReportSvg(report: EvalReport): string {
  const groups: Array<[string, Accuracy]> = [
    ['clean', report.clean],
    ...Object.entries(report.corruptions),
    [`mean (${Object.keys(report.corruptions).length})`, report.mean],
  ];
  const { plotHeight, top, left, right, labelSpace, groupWidth, barWidth } = CHART;
  // Wide enough for the title even with few groups.
  const width = Math.max(480, left + groups.length * groupWidth + right);
  const height = top + plotHeight + labelSpace;
  const y = (fraction: number) => top + plotHeight * (1 - fraction);
  const parts: string[] = [];

  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" fill="${COLORS.text}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${escapeXml(`Top-1 accuracy, ${report.images === undefined ? `severity ${report.severity}` : `images from ${report.images}`}, n = ${report.n}, editor ${report.editor}`)}</text>`,
    legend(left, 38, COLORS.source, 'source'),
    legend(left + 90, 38, COLORS.ensemble, report.editor === 'none' ? 'ensemble (= source)' : 'ensemble'),
  );
  for (let tick = 0; tick <= 100; tick += 20) {
    const ty = y(tick / 100);
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${ty}" y2="${ty}" stroke="${COLORS.grid}"/>`,
      `<text x="${left - 6}" y="${ty + 4}" text-anchor="end">${tick}%</text>`,
    );
  }
  groups.forEach(([name, accuracy], g) => {
    const x0 = left + g * groupWidth + (groupWidth - 2 * barWidth) / 2;
    parts.push(
      bar(x0, barWidth, y, accuracy.source, COLORS.source, `${name}: source ${percent(accuracy.source)}%`),
      bar(x0 + barWidth, barWidth, y, accuracy.ensemble, COLORS.ensemble, `${name}: ensemble ${percent(accuracy.ensemble)}%`),
    );
    const lx = x0 + barWidth;
    const ly = top + plotHeight + 12;
    parts.push(`<text x="${lx}" y="${ly}" text-anchor="end" transform="rotate(-45 ${lx} ${ly})">${escapeXml(name)}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${y(0)}" y2="${y(0)}" stroke="${COLORS.text}"/>`, '</svg>');
  return `${parts.join('\n')}\n`;
}

function bar(x: number, w: number, y: (f: number) => number, value: number, color: string, title: string): string {
  const clamped = Math.min(1, Math.max(0, value));
  const top = y(clamped);
  const h = y(0) - top;
  return `<rect x="${x}" y="${top.toFixed(1)}" width="${w}" height="${h.toFixed(1)}" fill="${color}"><title>${escapeXml(title)}</title></rect>`;
}

function legend(x: number, y: number, color: string, label: string): string {
  return `<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y}">${escapeXml(label)}</text>`;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
