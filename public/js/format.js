// Number formatting for the cards: short, fixed-width-ish strings.

export const percent = (p, digits = 0) => `${(p * 100).toFixed(digits)}%`;

export const milliseconds = (ms) => (ms === null || ms === undefined ? '–' : `${Math.round(ms)}`);

export const fps = (value) => (value === null || value === undefined ? '–' : value.toFixed(1));
