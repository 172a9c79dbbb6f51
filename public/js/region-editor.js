// A stream card's regions of interest: the outlines drawn over the live frame, drawing a new one
// (arm "Draw region", drag a rectangle on the frame, name it in the inline field), and the list
// with a remove button each. Each region is classified as a stream of its own, `<stream>.<region>`,
// shown on a card of its own next to this one. What the server confirmed is what is shown: a new
// region stays a dashed sketch until the `regions` message comes back.

import { $, el, setPressed } from './dom.js';

// The server's rules (src/config/regions.ts); it checks them again and says what is wrong.
const REGION_ID = '[A-Za-z0-9][A-Za-z0-9_\\-]{0,31}';
const MIN_SIDE = 0.02; // a smaller drag is a click, not a region
const DIGITS = 4;

const round = (value) => Math.round(value * 10 ** DIGITS) / 10 ** DIGITS;
const clamp01 = (value) => Math.min(1, Math.max(0, value));
const percent = (value) => `${(value * 100).toFixed(2)}%`;

export class RegionEditor {
  #root;
  #request;
  #layer;
  #drawButton;
  #panel;
  #list;
  #form;
  #name;
  #regions = []; // confirmed by the server
  #sketch = null; // {x, y, width, height} drawn, not yet confirmed
  #drag = null;
  #enabled = false;

  /** @param {HTMLElement} root the card @param {(regions: object[]) => void} request sends set-regions */
  constructor(root, request) {
    this.#root = root;
    this.#request = request;

    this.#drawButton = el('button', { className: 'tool region-draw', type: 'button', title: 'Drag a rectangle on the input frame: it is classified as a stream of its own', textContent: 'Draw region' });
    this.#drawButton.setAttribute('aria-pressed', 'false');
    this.#drawButton.hidden = true;
    this.#drawButton.addEventListener('click', () => this.#arm(!this.#armed));
    $('.card-tools', root).prepend(this.#drawButton);

    this.#layer = el('div', { className: 'region-layer' });
    $('.view-source .frame-box', root).append(this.#layer);
    this.#layer.addEventListener('pointerdown', (event) => this.#startDrag(event));
    this.#layer.addEventListener('pointermove', (event) => this.#moveDrag(event));
    this.#layer.addEventListener('pointerup', (event) => this.#endDrag(event));
    this.#layer.addEventListener('pointercancel', () => this.#cancelDrag());

    this.#name = el('input', { className: 'region-name', type: 'text', required: true, maxLength: 32, pattern: REGION_ID, placeholder: 'name, e.g. door', autocomplete: 'off' });
    this.#name.setAttribute('aria-label', 'Region name');
    this.#form = el(
      'form',
      { className: 'region-form', hidden: true },
      el('span', { className: 'picker-title', textContent: 'New region' }),
      this.#name,
      el('button', { type: 'submit', className: 'tool region-add', textContent: 'Add' }),
      el('button', { type: 'button', className: 'tool region-cancel', textContent: 'Cancel' }),
    );
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submit();
    });
    $('.region-cancel', this.#form).addEventListener('click', () => this.#discardSketch());
    this.#list = el('ul', { className: 'region-list' });
    this.#panel = el('section', { className: 'region-panel', hidden: true }, this.#form, this.#list);
    this.#panel.setAttribute('aria-label', 'Regions of interest');
    $('.views', root).after(this.#panel);
  }

  /** From hello and `regions` messages. `regions` undefined: this stream takes none (replayed, a region itself). */
  show(regions, enabled) {
    this.#regions = regions ?? [];
    this.#enabled = enabled && regions !== undefined;
    this.#drawButton.hidden = !this.#enabled;
    if (!this.#enabled) this.#arm(false);
    // The confirmed list has the sketched region now (or the request was refused, see refused()).
    if (this.#sketch && this.#regions.some((r) => r.id === this.#sketch.id)) this.#discardSketch();
    this.#render();
  }

  /** The server refused a set-regions: keep the sketch and the field, so that the name can be fixed. */
  refused() {
    if (this.#sketch) {
      delete this.#sketch.id;
      this.#name.focus();
    }
    this.#render();
  }

  get #armed() {
    return this.#root.classList.contains('drawing-region');
  }

  #arm(armed) {
    this.#root.classList.toggle('drawing-region', armed);
    setPressed(this.#drawButton, armed);
  }

  // ---- drawing ---------------------------------------------------------------------------------

  /** The pointer's place as fractions of the frame (the layer covers the frame exactly). */
  #at(event) {
    const box = this.#layer.getBoundingClientRect();
    return { x: clamp01((event.clientX - box.left) / box.width), y: clamp01((event.clientY - box.top) / box.height) };
  }

  #startDrag(event) {
    if (!this.#armed || event.button !== 0) return;
    event.preventDefault();
    this.#layer.setPointerCapture?.(event.pointerId);
    this.#drag = this.#at(event);
    this.#sketch = { x: this.#drag.x, y: this.#drag.y, width: 0, height: 0 };
    this.#form.hidden = true;
    this.#render();
  }

  #moveDrag(event) {
    if (this.#drag === null) return;
    const to = this.#at(event);
    this.#sketch = {
      x: Math.min(this.#drag.x, to.x),
      y: Math.min(this.#drag.y, to.y),
      width: Math.abs(to.x - this.#drag.x),
      height: Math.abs(to.y - this.#drag.y),
    };
    this.#render();
  }

  #endDrag(event) {
    if (this.#drag === null) return;
    this.#moveDrag(event);
    this.#drag = null;
    if (this.#sketch.width < MIN_SIDE || this.#sketch.height < MIN_SIDE) return this.#discardSketch();
    this.#arm(false);
    this.#name.value = this.#freeName();
    this.#form.hidden = false;
    this.#render();
    this.#name.focus();
    this.#name.select();
  }

  #cancelDrag() {
    this.#drag = null;
    this.#discardSketch();
  }

  #discardSketch() {
    this.#sketch = null;
    this.#form.hidden = true;
    this.#render();
  }

  #freeName() {
    const taken = new Set(this.#regions.map((r) => r.id));
    let n = this.#regions.length + 1;
    while (taken.has(`region${n}`)) n++;
    return `region${n}`;
  }

  // ---- requests --------------------------------------------------------------------------------

  #submit() {
    if (!this.#sketch || !this.#name.reportValidity()) return;
    const id = this.#name.value.trim();
    const x = round(this.#sketch.x);
    const y = round(this.#sketch.y);
    // Rounded corners must still lie inside the frame.
    const region = { id, x, y, width: Math.min(round(this.#sketch.width), round(1 - x)), height: Math.min(round(this.#sketch.height), round(1 - y)) };
    this.#sketch = { ...region };
    this.#request([...this.#regions.filter((r) => r.id !== id), region]);
    this.#render();
  }

  #remove(id) {
    this.#request(this.#regions.filter((r) => r.id !== id));
  }

  // ---- rendering -------------------------------------------------------------------------------

  #render() {
    const boxes = this.#regions.map((r) => outline(r, 'region-box', r.id));
    if (this.#sketch) boxes.push(outline(this.#sketch, 'region-box sketch', this.#sketch.id ?? ''));
    this.#layer.replaceChildren(...boxes);
    this.#list.replaceChildren(
      ...this.#regions.map((r) => {
        const remove = el('button', { type: 'button', className: 'tool region-remove', textContent: 'Remove', title: `Stop classifying region ${r.id}` });
        remove.addEventListener('click', () => this.#remove(r.id));
        const where = `${percent(r.x)}, ${percent(r.y)} · ${percent(r.width)} × ${percent(r.height)}`;
        const item = el('li', {}, el('span', { className: 'region-name-label', textContent: r.id }), el('span', { className: 'region-where', textContent: where }), remove);
        item.dataset.region = r.id;
        return item;
      }),
    );
    this.#panel.hidden = !this.#enabled || (this.#regions.length === 0 && this.#form.hidden);
  }
}

function outline(region, className, label) {
  const box = el('div', { className }, el('span', { className: 'region-label', textContent: label }));
  Object.assign(box.style, { left: percent(region.x), top: percent(region.y), width: percent(region.width), height: percent(region.height) });
  if (label) box.dataset.region = label;
  return box;
}
