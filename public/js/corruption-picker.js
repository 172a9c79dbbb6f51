// The per-stream synthetic-corruption control: a type (none, cycle through all, or one of the
// server's types) and a severity 1-5, sent as one `set-corruption` spec such as "fog:4".
//
// What the picker shows: the setting the server last confirmed (hello's `streams[].corruption`,
// then `corruption` messages) wins; before any confirmation it follows the corruption the frames
// report. While a cycle runs the frames change type every few seconds, which is why the confirmed
// setting has priority.

import { el } from './dom.js';

const SEVERITIES = [1, 2, 3, 4, 5];
const DEFAULT_SEVERITY = 3;
const CYCLE = 'cycle';

/** "fog:4" -> {type: 'fog', severity: 4}; null -> {type: '', severity: default}. */
export function parseSetting(setting) {
  if (!setting) return { type: '', severity: DEFAULT_SEVERITY };
  const [type, severity] = setting.split(':');
  const n = Number(severity);
  return { type, severity: SEVERITIES.includes(n) ? n : DEFAULT_SEVERITY };
}

export function formatSetting(type, severity) {
  return type === '' ? null : `${type}:${severity}`;
}

export class CorruptionPicker {
  #root;
  #type;
  #severity;
  #confirmed = undefined; // undefined: the server has not told us this stream's setting
  #observed = null;

  /** @param {(setting: string | null) => void} request */
  constructor(root, request) {
    this.#root = root;
    this.#type = root.querySelector('.corruption-type');
    this.#severity = root.querySelector('.corruption-severity');
    this.#severity.replaceChildren(...SEVERITIES.map((s) => new Option(`severity ${s}`, String(s))));
    this.#severity.value = String(DEFAULT_SEVERITY);
    const onInput = () => {
      this.#syncEnabled();
      request(formatSetting(this.#type.value, Number(this.#severity.value)));
    };
    this.#type.addEventListener('change', onInput);
    this.#severity.addEventListener('change', onInput);
  }

  /** `choices`: hello.corruptions (type names; "type:severity" specs are reduced to their type). */
  setChoices(choices, enabled) {
    const types = [...new Set(choices.map((c) => c.split(':')[0]))];
    this.#root.hidden = !enabled || types.length === 0;
    const current = this.#type.value;
    this.#type.replaceChildren(
      new Option('none (clean)', ''),
      new Option('cycle through all', CYCLE),
      el('optgroup', { label: 'corruption' }, ...types.map((t) => new Option(t.replaceAll('_', ' '), t))),
    );
    this.#type.value = current;
    this.#syncEnabled();
  }

  /** The server confirmed a change (to any client): this is now the stream's setting. */
  confirm(setting) {
    this.#confirmed = setting;
    this.#display(setting, true);
  }

  /** A new hello (the server may have restarted with other settings): trust the frames again. */
  forgetConfirmed() {
    this.#confirmed = undefined;
  }

  /** The corruption the latest frame carries; only used until a setting is confirmed. */
  observe(corruption) {
    this.#observed = corruption ?? null;
    if (this.#confirmed === undefined) this.#display(this.#observed, false);
  }

  /** The server refused the last request: show what is really in effect again. */
  refused() {
    this.#display(this.#confirmed === undefined ? this.#observed : this.#confirmed, true);
  }

  #display(setting, evenWhileFocused) {
    if (!evenWhileFocused && this.#root.contains(document.activeElement)) return; // do not fight the user's hand
    const { type, severity } = parseSetting(setting);
    this.#type.value = type;
    if (this.#type.value !== type) this.#type.value = ''; // a type this list does not offer
    this.#severity.value = String(severity);
    this.#syncEnabled();
  }

  #syncEnabled() {
    this.#severity.disabled = this.#type.value === '';
  }
}
