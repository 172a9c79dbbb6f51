// Keeps a canvas's backing store matched to its CSS size and the screen's pixel density, so the
// hand-drawn charts stay crisp; redraws whenever the element is resized (card reflow, rotation).

export function autoSizeCanvas(canvas, draw) {
  const resize = () => {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    draw();
  };
  new ResizeObserver(resize).observe(canvas);
  return resize;
}

/** A 2D context scaled so that drawing code works in CSS pixels; null while the canvas is hidden. */
export function cssContext(canvas) {
  if (canvas.clientWidth === 0 || canvas.clientHeight === 0) return null;
  const ctx = canvas.getContext('2d');
  const ratio = canvas.width / Math.max(1, canvas.clientWidth);
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width: canvas.clientWidth, height: canvas.clientHeight };
}
