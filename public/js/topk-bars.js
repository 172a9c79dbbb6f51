// Top-k probability bars. Each bar takes its label's palette color, so the same class can be
// spotted at a glance in the source-only and adapted columns.

import { el } from './dom.js';
import { percent } from './format.js';
import { palette } from './label-palette.js';

export function renderTopK(list, topk, highlightLabel) {
  list.replaceChildren(
    ...topk.map((score) => {
      const bar = el('span', { className: 'bar' });
      bar.style.setProperty('--p', String(score.probability));
      bar.style.setProperty('--label-color', palette.colorOf(score.label));
      const item = el(
        'li',
        {},
        el('span', { className: 'name', textContent: score.label, title: score.label }),
        bar,
        el('span', { className: 'value', textContent: percent(score.probability, 1) }),
      );
      if (score.label === highlightLabel) item.classList.add('truth');
      return item;
    }),
  );
}
