/**
 * Drawing on packed rgb24 images in place: text in the bitmap font (each font pixel a scale x scale
 * block) and a darkened band behind it, both clipped to the image. What the annotated video burns
 * labels in with.
 *
 *   shadeRect(image, { x: 0, y: 0, width: image.width, height: 24 }, 0.6);
 *   drawText(image, 'cat 87%', 4, 4, { scale: 2, color: [255, 255, 255] });
 */
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphOf } from './bitmap-font.js';
import type { RgbImage } from './rgb-image.js';

export type Rgb = readonly [number, number, number];

export interface TextStyle {
  /** Screen pixels per font pixel (1: 5x9 glyphs). */
  scale: number;
  color: Rgb;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Font pixels from one character's left edge to the next one's. */
export const ADVANCE = GLYPH_WIDTH + 1;
/** Font pixels from one line's top to the next one's. */
export const LINE_HEIGHT = GLYPH_HEIGHT + 2;

/** Width in screen pixels of `text` drawn at `scale` (no spacing after the last character). */
export function textWidth(text: string, scale: number): number {
  return text.length === 0 ? 0 : (text.length * ADVANCE - 1) * scale;
}

/** Draws `text` with its top-left corner at (x, y); what falls outside the image is skipped. */
export function drawText(image: RgbImage, text: string, x: number, y: number, style: TextStyle): void {
  const { width, height, data } = image;
  const { scale, color } = style;
  const [r, g, b] = color;
  for (let c = 0; c < text.length; c++) {
    const left = x + c * ADVANCE * scale;
    if (left >= width) return;
    const rows = glyphOf(text[c]);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      const bits = rows[gy];
      if (bits === 0) continue;
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if ((bits & (1 << (GLYPH_WIDTH - 1 - gx))) === 0) continue;
        const x0 = Math.max(0, left + gx * scale);
        const x1 = Math.min(width, left + (gx + 1) * scale);
        const y0 = Math.max(0, y + gy * scale);
        const y1 = Math.min(height, y + (gy + 1) * scale);
        for (let py = y0; py < y1; py++) {
          for (let i = (py * width + x0) * 3, end = (py * width + x1) * 3; i < end; i += 3) {
            data[i] = r;
            data[i + 1] = g;
            data[i + 2] = b;
          }
        }
      }
    }
  }
}

/** Darkens a rectangle: each channel times (1 - amount), amount 0 (unchanged) to 1 (black). */
export function shadeRect(image: RgbImage, rect: Rect, amount: number): void {
  const { width, height, data } = image;
  const keep = Math.round((1 - Math.min(1, Math.max(0, amount))) * 256);
  const x0 = Math.max(0, rect.x);
  const x1 = Math.min(width, rect.x + rect.width);
  const y0 = Math.max(0, rect.y);
  const y1 = Math.min(height, rect.y + rect.height);
  for (let py = y0; py < y1; py++) {
    for (let i = (py * width + x0) * 3, end = (py * width + x1) * 3; i < end; i++) data[i] = (data[i] * keep) >> 8;
  }
}
