// One stable color per class label, so a label looks the same in the top-5 bars, the timeline
// and the legend. The first ten are hand-picked to be distinct on a dark background; beyond that
// (ImageNet-sized label sets) hues step by the golden angle so neighbours still differ.

const BASE = ['#5b9cff', '#f2a541', '#4fd18b', '#f0626e', '#b28dff', '#36c9d6', '#e879c6', '#c8d155', '#9aa7ff', '#ff8f5a'];

export class LabelPalette {
  #index = new Map();

  /** `labels` in model order (hello.labels); unknown labels still get a color. */
  setLabels(labels) {
    this.#index = new Map(labels.map((label, i) => [label, i]));
  }

  colorOf(label) {
    let i = this.#index.get(label);
    if (i === undefined) {
      i = this.#index.size;
      this.#index.set(label, i);
    }
    if (i < BASE.length) return BASE[i];
    const hue = Math.round((i * 137.508) % 360);
    return `hsl(${hue} 70% 62%)`;
  }
}

export const palette = new LabelPalette();
