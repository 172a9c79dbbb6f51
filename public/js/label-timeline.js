// The per-stream label timeline: one column of cells per second over the last minute, colored by
// the label the stream showed most in that second. Top row: adapted answer; bottom row:
// source-only answer; with ground truth, a thin truth row and a red mark under every second in
// which the adapted answer was mostly wrong. Seconds come from the server's clock (capturedAt),
// so the browser's clock does not matter.

import { autoSizeCanvas, cssContext } from './canvas.js';
import { el } from './dom.js';
import { palette } from './label-palette.js';

const SECONDS = 60;
const EMPTY_COLOR = 'rgb(255 255 255 / 0.05)';
const MISMATCH_COLOR = '#ff4d5e';
const LABEL_COLOR = '#8b93a3';
const GUTTER = 48; // room for the row names
const ROWS = {
  adapted: { key: 'adapted', name: 'adapted', top: 0, height: 14 },
  source: { key: 'source', name: 'source', top: 16, height: 14 },
  truth: { key: 'truth', name: 'truth', top: 32, height: 8 },
  mark: { top: 42, height: 4 },
};

class Tally {
  #counts = new Map();

  add(label) {
    this.#counts.set(label, (this.#counts.get(label) ?? 0) + 1);
  }

  /** The most frequent label, or null when nothing was counted. */
  top() {
    let best = null;
    let bestCount = 0;
    for (const [label, count] of this.#counts) if (count > bestCount) [best, bestCount] = [label, count];
    return best;
  }
}

export class LabelTimeline {
  #canvas;
  #legend;
  #legendKey = '';
  #seconds = new Map(); // epoch second -> {adapted, source, truth}: Tally
  #now = 0;

  constructor(canvas, legend) {
    this.#canvas = canvas;
    this.#legend = legend;
    autoSizeCanvas(canvas, () => this.draw());
  }

  record(header) {
    const second = Math.floor(header.capturedAt / 1000);
    let bucket = this.#seconds.get(second);
    if (bucket === undefined) {
      bucket = { adapted: new Tally(), source: new Tally(), truth: new Tally() };
      this.#seconds.set(second, bucket);
    }
    bucket.adapted.add((header.smoothed ?? header.ensemble).label);
    bucket.source.add(header.source.label);
    if (header.truth !== undefined) bucket.truth.add(header.truth);
    this.advanceTo(header.capturedAt);
  }

  /** Moves the right edge (the stats messages keep it moving while no frame arrives). */
  advanceTo(epochMs) {
    this.#now = Math.max(this.#now, Math.floor(epochMs / 1000));
    for (const second of this.#seconds.keys()) if (second <= this.#now - SECONDS) this.#seconds.delete(second);
  }

  draw() {
    const surface = cssContext(this.#canvas);
    if (surface === null) return;
    const { ctx, width, height } = surface;
    ctx.clearRect(0, 0, width, height);

    const columns = [];
    for (let i = 0; i < SECONDS; i++) {
      const bucket = this.#seconds.get(this.#now - SECONDS + 1 + i);
      columns.push(bucket && { adapted: bucket.adapted.top(), source: bucket.source.top(), truth: bucket.truth.top() });
    }
    const hasTruth = columns.some((c) => c?.truth);
    // The truth rows need a taller canvas; the resize that follows draws again.
    this.#canvas.classList.toggle('has-truth', hasTruth);
    const rows = hasTruth ? [ROWS.adapted, ROWS.source, ROWS.truth] : [ROWS.adapted, ROWS.source];

    ctx.font = '10px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = LABEL_COLOR;
    for (const row of rows) ctx.fillText(row.name, 0, row.top + row.height / 2);

    const cellWidth = (width - GUTTER) / SECONDS;
    const gap = cellWidth > 4 ? 1 : 0;
    columns.forEach((column, i) => {
      const x = GUTTER + i * cellWidth;
      for (const row of rows) {
        const label = column?.[row.key];
        ctx.fillStyle = label ? palette.colorOf(label) : EMPTY_COLOR;
        ctx.fillRect(x, row.top, cellWidth - gap, row.height);
      }
      if (hasTruth && column?.truth && column.adapted !== column.truth) {
        ctx.fillStyle = MISMATCH_COLOR;
        ctx.fillRect(x, ROWS.mark.top, cellWidth - gap, ROWS.mark.height);
      }
    });
    this.#updateLegend(columns, hasTruth);
  }

  // Lists the labels on screen, most frequent first; rebuilt only when that list changes.
  #updateLegend(columns, hasTruth) {
    const counts = new Map();
    for (const column of columns) {
      if (!column) continue;
      for (const label of [column.adapted, column.source, column.truth]) {
        if (label) counts.set(label, (counts.get(label) ?? 0) + 1);
      }
    }
    const labels = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a));
    const key = `${hasTruth}\n${labels.join('\n')}`;
    if (key === this.#legendKey) return;
    this.#legendKey = key;
    const item = (text, color, className = '') => {
      const swatch = el('span', { className: `swatch ${className}` });
      swatch.style.setProperty('--label-color', color);
      return el('li', {}, swatch, text);
    };
    this.#legend.replaceChildren(
      ...labels.map((label) => item(label, palette.colorOf(label))),
      ...(hasTruth ? [item('adapted ≠ truth', MISMATCH_COLOR, 'mismatch')] : []),
    );
  }
}
