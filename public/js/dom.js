// Tiny DOM helpers shared by the dashboard modules.

export const $ = (selector, root = document) => root.querySelector(selector);

/** Creates an element: el('span', { className: 'x', textContent: 'y' }, child1, child2). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** Sets a toggle button's pressed state (aria-pressed drives both styling and screen readers). */
export function setPressed(button, pressed) {
  button.setAttribute('aria-pressed', String(pressed));
}
