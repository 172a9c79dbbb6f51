// The banner under the top bar: connection trouble (with a live countdown and "Retry now"),
// refused requests, and a short "reconnected" confirmation.

import { $ } from './dom.js';

export class Notice {
  #root;
  #text;
  #action;
  #hideTimer = null;
  #tickTimer = null;
  #onAction = null;

  constructor(root) {
    this.#root = root;
    this.#text = $('.notice-text', root);
    this.#action = $('.notice-action', root);
    this.#action.addEventListener('click', () => this.#onAction?.());
  }

  /**
   * @param {'warn' | 'error' | 'ok'} tone
   * @param {string | (() => string)} text  a function is re-read every second (countdowns)
   * @param {{hideAfterMs?: number, action?: {label: string, run: () => void}}} [options]
   */
  show(tone, text, options = {}) {
    this.#clearTimers();
    this.#root.dataset.tone = tone;
    this.#root.hidden = false;
    const render = () => (this.#text.textContent = typeof text === 'function' ? text() : text);
    render();
    if (typeof text === 'function') this.#tickTimer = setInterval(render, 250);
    this.#action.hidden = !options.action;
    this.#action.textContent = options.action?.label ?? '';
    this.#onAction = options.action?.run ?? null;
    if (options.hideAfterMs) this.#hideTimer = setTimeout(() => this.hide(), options.hideAfterMs);
  }

  hide() {
    this.#clearTimers();
    this.#root.hidden = true;
  }

  get tone() {
    return this.#root.hidden ? null : this.#root.dataset.tone;
  }

  #clearTimers() {
    clearTimeout(this.#hideTimer);
    clearInterval(this.#tickTimer);
  }
}
