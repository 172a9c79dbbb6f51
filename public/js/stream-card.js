// One card per stream: live and edited frames, the two answers, top-k bars, the label timeline,
// the latency/fps chart, stats and the per-stream controls. The card only renders; what the
// buttons mean for the connection (subscriptions, set-corruption) is decided by the dashboard
// through the callbacks it passes in.

import { CorruptionPicker } from './corruption-picker.js';
import { $, setPressed } from './dom.js';
import * as format from './format.js';
import { FramePainter } from './frame-painter.js';
import { HistoryChart } from './history-chart.js';
import { LabelTimeline } from './label-timeline.js';
import { RegionEditor } from './region-editor.js';
import { renderTopK } from './topk-bars.js';

const ACCURACY_WINDOW = 200;

/**
 * @typedef {object} CardActions
 * @property {(id: string) => void} toggleFocus
 * @property {(id: string, paused: boolean) => void} setPaused
 * @property {(id: string, setting: string | null) => void} setCorruption
 * @property {(id: string, regions: object[]) => void} setRegions
 */

export class StreamCard {
  /** @param {string} id @param {HTMLTemplateElement} template @param {CardActions} actions */
  constructor(id, template, actions) {
    this.id = id;
    this.paused = false;
    this.root = template.content.firstElementChild.cloneNode(true);
    this.root.dataset.stream = id;
    this.root.dataset.frames = '0';
    $('.stream-id', this.root).textContent = id;

    this.sourcePainter = new FramePainter($('.frame-source', this.root));
    this.editedPainter = new FramePainter($('.frame-edited', this.root));
    this.chart = new HistoryChart($('.history', this.root));
    this.timeline = new LabelTimeline($('.timeline', this.root), $('.legend', this.root));
    this.picker = new CorruptionPicker($('.corruption-picker', this.root), (setting) => actions.setCorruption(id, setting));
    this.regions = new RegionEditor(this.root, (regions) => actions.setRegions(id, regions));
    this.pending = null; // newest frame not yet on screen
    this.frameCount = 0;
    this.lastLatencyMs = null;
    this.history = []; // [sourceCorrect, adaptedCorrect] of recent frames that carry a truth
    this.lastProblem = null; // the latest error message, kept while the source retries

    this.focusButton = $('.focus-toggle', this.root);
    this.pauseButton = $('.pause-toggle', this.root);
    this.editedButton = $('.edited-toggle', this.root);
    this.focusButton.addEventListener('click', () => actions.toggleFocus(id));
    this.pauseButton.addEventListener('click', () => actions.setPaused(id, !this.paused));
    this.editedButton.addEventListener('click', () => this.setEditedVisible(this.root.classList.contains('hide-edited')));
  }

  // ---- stream facts ----------------------------------------------------------------------------

  setState(state, message, attempt) {
    this.root.dataset.state = state;
    const badge = $('.state', this.root);
    badge.textContent = state === 'reconnecting' && attempt ? `reconnecting · try ${attempt}` : state;
    // A failing source flips between reconnecting and starting on every retry; keep its last
    // error on screen through the 'starting' phase instead of letting it blink away.
    if (state === 'running') this.lastProblem = null;
    else if (message) this.lastProblem = message;
    const shown = message ?? (state === 'starting' && this.lastProblem ? `retrying · last error: ${this.lastProblem}` : null);
    const line = $('.state-message', this.root);
    line.hidden = !shown;
    line.textContent = shown ?? '';
  }

  setUrl(url) {
    $('.stream-id', this.root).title = url ?? '';
  }

  showStats(stats, at) {
    $('.fps', this.root).textContent = `${format.fps(stats.fps)} fps`;
    $('.latency', this.root).textContent = `${format.milliseconds(this.lastLatencyMs)} ms · p95 ${format.milliseconds(stats.p95LatencyMs)} ms`;
    const drops = $('.drops', this.root);
    drops.textContent = `${stats.dropped} dropped`;
    drops.classList.toggle('nonzero', stats.dropped > 0);
    const changes = $('.label-changes', this.root);
    changes.textContent = `${stats.labelChangesPerMinute ?? 0} label changes/min`;
    this.chart.add(at, stats.fps, stats.p95LatencyMs);
    this.timeline.advanceTo(at);
    this.timeline.draw();
  }

  // ---- corruption control --------------------------------------------------------------------

  /** From each hello; also forgets the confirmed setting, which a restarted server does not keep. */
  setCorruptionChoices(choices, enabled) {
    this.picker.setChoices(choices, enabled);
    this.picker.forgetConfirmed();
  }

  confirmCorruption(setting) {
    this.picker.confirm(setting);
  }

  corruptionRefused() {
    this.picker.refused();
  }

  // ---- regions of interest -------------------------------------------------------------------

  /** This stream's regions (undefined: it takes none); `enabled`: the server takes set-regions. */
  setRegions(regions, enabled) {
    this.regions.show(regions, enabled);
  }

  regionsRefused() {
    this.regions.refused();
  }

  /** A region's stream names the stream it is cut from (its corruption follows that stream's). */
  setRegionOf(parentId) {
    if (parentId) this.root.dataset.parent = parentId;
    else delete this.root.dataset.parent;
    const chip = $('.chip.region-of', this.root);
    chip.hidden = !parentId;
    chip.textContent = parentId ? `region of ${parentId}` : '';
  }

  // ---- view controls -------------------------------------------------------------------------

  setFocused(focused) {
    this.root.classList.toggle('focused', focused);
    setPressed(this.focusButton, focused);
    this.focusButton.textContent = focused ? 'Show all' : 'Focus';
    this.focusButton.title = focused ? 'Back to every stream' : 'Show only this stream';
  }

  setPaused(paused) {
    this.paused = paused;
    this.pending = null;
    setPressed(this.pauseButton, paused);
    this.pauseButton.textContent = paused ? 'Resume' : 'Pause';
    $('.paused-overlay', this.root).hidden = !paused;
    this.root.classList.toggle('paused', paused);
  }

  setEditedVisible(visible) {
    this.root.classList.toggle('hide-edited', !visible);
    setPressed(this.editedButton, visible);
  }

  // ---- frames ------------------------------------------------------------------------------------

  /** Keeps only the newest frame; render() shows it on the next animation frame. */
  queueFrame(frame) {
    if (!this.paused) this.pending = frame;
  }

  render() {
    if (this.pending === null) return;
    const { header, source, edited } = this.pending;
    this.pending = null;

    this.sourcePainter.show(source);
    if (edited) this.editedPainter.show(edited);
    else this.editedPainter.clear();
    const size = header.images.source;
    this.root.style.setProperty('--frame-aspect', `${size.width} / ${size.height}`);
    $('.frame-size', this.root).textContent = `${size.width}×${size.height}`;
    const edit = header.images.edited;
    $('.edit-size', this.root).textContent = edit ? `${edit.width}×${edit.height}` : header.gate ? '(skipped: the frame looks clean)' : '(editor off)';
    this.#showGate(header.gate);

    // The answer: the stream's smoothed label when smoothing is on, else this frame's ensemble.
    const adapted = header.smoothed ?? header.ensemble;
    this.#showPrediction('.adapted', adapted, header.truth);
    this.#showPrediction('.source', header.source, header.truth);
    this.root.classList.toggle('changed', header.changed);
    $('.changed-note', this.root).hidden = !header.changed;
    const truth = $('.truth', this.root);
    truth.hidden = header.truth === undefined;
    $('.label', truth).textContent = header.truth ?? '';

    const chip = $('.corruption', this.root);
    chip.hidden = !header.corruption;
    chip.textContent = header.corruption?.replaceAll('_', ' ') ?? '';
    this.picker.observe(header.corruption);

    renderTopK($('.topk-source', this.root), header.source.topk, header.truth);
    renderTopK($('.topk-adapted', this.root), adapted.topk, header.truth);
    if (header.truth !== undefined) this.#recordAccuracy(header);
    if (header.discontinuity && this.frameCount > 0) this.#flash('restarted'); // the very first frame is always one

    this.timeline.record(header);
    this.timeline.draw();
    this.lastLatencyMs = header.latencyMs;
    this.frameCount++;
    this.root.dataset.frames = String(this.frameCount);
  }

  /** Frees what the card holds; it is going away. */
  dispose() {
    this.pending = null;
    this.root.remove();
  }

  #showPrediction(selector, prediction, truth) {
    const row = $(selector, this.root);
    $('.label', row).textContent = prediction.label;
    $('.confidence', row).textContent = format.percent(prediction.confidence);
    const verdict = $('.verdict', row);
    if (truth === undefined) {
      delete row.dataset.verdict;
      verdict.textContent = '';
      return;
    }
    const correct = prediction.label === truth;
    row.dataset.verdict = correct ? 'correct' : 'wrong';
    verdict.textContent = correct ? '✓' : '✗';
  }

  /** Whether the editor is on for this stream and its corruption score (absent: the bundle has no gate). */
  #showGate(gate) {
    const chip = $('.chip.gate', this.root);
    chip.hidden = !gate;
    if (!gate) return;
    const on = gate.streamActive ?? gate.active;
    chip.dataset.active = String(on);
    chip.textContent = `editor ${on ? 'on' : 'off'} · corruption ${(gate.level ?? gate.score).toFixed(2)}`;
  }

  #recordAccuracy(header) {
    this.history.push([header.source.label === header.truth, (header.smoothed ?? header.ensemble).label === header.truth]);
    if (this.history.length > ACCURACY_WINDOW) this.history.shift();
    const n = this.history.length;
    const share = (i) => format.percent(this.history.filter((h) => h[i]).length / n);
    const line = $('.accuracy', this.root);
    line.hidden = false;
    line.textContent = `Accuracy, last ${n} frames: source only ${share(0)} → adapted ${share(1)}`;
  }

  #flash(text) {
    const badge = $('.state', this.root);
    badge.dataset.flash = text;
    setTimeout(() => delete badge.dataset.flash, 1500);
  }
}
