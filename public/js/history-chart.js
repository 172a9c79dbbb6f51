// A small two-axis line chart of one stream's p95 latency (left axis) and fps (right axis) over
// the last three minutes, drawn by hand on a canvas. Fed by the 1 Hz `stats` messages; a gap in
// the samples (disconnected, paused tab) is drawn as a gap, not as a straight line across it.

import { autoSizeCanvas, cssContext } from './canvas.js';

const TICKS = [0, 0.5, 1];
const WINDOW_MS = 3 * 60_000;
const MIN_SPAN_MS = 30_000;
const GAP_MS = 5_000;
const LATENCY_COLOR = '#f2a541';
const FPS_COLOR = '#5b9cff';
const GRID_COLOR = 'rgb(255 255 255 / 0.08)';
const TEXT_COLOR = '#8b93a3';

export class HistoryChart {
  #canvas;
  #samples = []; // {at, fps, p95}

  constructor(canvas) {
    this.#canvas = canvas;
    autoSizeCanvas(canvas, () => this.draw());
  }

  add(at, fps, p95LatencyMs) {
    this.#samples.push({ at, fps, p95: p95LatencyMs });
    while (this.#samples.length > 0 && this.#samples[0].at < at - WINDOW_MS) this.#samples.shift();
    this.draw();
  }

  draw() {
    const surface = cssContext(this.#canvas);
    if (surface === null) return;
    const { ctx, width, height } = surface;
    ctx.clearRect(0, 0, width, height);
    const latencyMax = niceCeiling(Math.max(50, ...this.#samples.map((s) => s.p95 ?? 0)));
    const fpsMax = niceCeiling(Math.max(5, ...this.#samples.map((s) => s.fps)));
    ctx.font = '10px system-ui, sans-serif';
    // Gutters as wide as the longest tick label ("500 ms" is wider than "1k ms"), never clipped.
    const widest = (max, unit) => Math.max(...TICKS.map((f) => ctx.measureText(axisLabel(max * f, unit)).width));
    const leftGutter = Math.ceil(widest(latencyMax, 'ms')) + 6;
    const rightGutter = Math.ceil(widest(fpsMax, '')) + 6;
    const plot = { left: leftGutter, right: width - rightGutter, top: 6, bottom: height - 14 };
    // The window grows with the history (at least 30 s, at most WINDOW_MS), so a fresh page
    // shows a readable line instead of a sliver at the right edge.
    const now = this.#samples.at(-1)?.at ?? Date.now();
    const span = Math.min(WINDOW_MS, Math.max(MIN_SPAN_MS, now - (this.#samples[0]?.at ?? now)));
    const x = (at) => plot.left + ((at - (now - span)) / span) * (plot.right - plot.left);

    ctx.lineWidth = 1;
    for (const fraction of TICKS) {
      const y = Math.round(plot.bottom - fraction * (plot.bottom - plot.top)) + 0.5;
      ctx.strokeStyle = GRID_COLOR;
      ctx.beginPath();
      ctx.moveTo(plot.left, y);
      ctx.lineTo(plot.right, y);
      ctx.stroke();
      ctx.textBaseline = fraction === 1 ? 'top' : fraction === 0 ? 'bottom' : 'middle';
      ctx.fillStyle = LATENCY_COLOR;
      ctx.textAlign = 'right';
      ctx.fillText(axisLabel(latencyMax * fraction, 'ms'), plot.left - 4, y);
      ctx.fillStyle = FPS_COLOR;
      ctx.textAlign = 'left';
      ctx.fillText(axisLabel(fpsMax * fraction, ''), plot.right + 4, y);
    }
    ctx.fillStyle = TEXT_COLOR;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    ctx.fillText(`−${spanLabel(span)}`, plot.left, height);
    ctx.textAlign = 'right';
    ctx.fillText('now', plot.right, height);

    const yOf = (value, max) => plot.bottom - (Math.min(value, max) / max) * (plot.bottom - plot.top);
    this.#line(ctx, x, (s) => (s.p95 === null ? null : yOf(s.p95, latencyMax)), LATENCY_COLOR);
    this.#line(ctx, x, (s) => yOf(s.fps, fpsMax), FPS_COLOR);
  }

  #line(ctx, x, y, color) {
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    let previous = null;
    for (const sample of this.#samples) {
      const value = y(sample);
      if (value === null) {
        previous = null;
        continue;
      }
      if (previous === null || sample.at - previous.at > GAP_MS) ctx.moveTo(x(sample.at), value);
      else ctx.lineTo(x(sample.at), value);
      previous = sample;
    }
    ctx.stroke();
  }
}

/** Rounds an axis maximum up to 1, 2 or 5 times a power of ten. */
function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function spanLabel(ms) {
  const seconds = Math.round(ms / 1000);
  return seconds < 90 ? `${seconds} s` : `${Math.round(seconds / 60)} min`;
}

function axisLabel(value, unit) {
  const text = value >= 1000 ? `${(value / 1000).toFixed(value % 1000 === 0 ? 0 : 1)}k` : `${Math.round(value)}`;
  return unit ? `${text} ${unit}` : text;
}
