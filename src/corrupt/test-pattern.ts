/**
 * A deterministic "natural-ish" rgb24 picture for tests, benchmarks and demos: sky and ground
 * gradients, a sun disk, a house-like block with a window, a smooth grating and a small checker
 * patch, all laid out in relative units so the picture looks the same at every size.
 */
import type { RgbImage } from './types.js';

export function testPattern(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const u = (x: number): number => (x + 0.5) / width;
  const v = (y: number): number => (y + 0.5) / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const fx = u(x);
      const fy = v(y);
      let r: number;
      let g: number;
      let b: number;
      if (fy < 0.55) {
        r = 90 + 80 * fy; g = 140 + 70 * fy; b = 230 - 40 * fy; // sky
      } else {
        r = 70 + 60 * fx; g = 120 - 40 * (fy - 0.55); b = 50 + 20 * Math.sin(fx * 20); // ground
      }
      const dsun = Math.hypot(fx - 0.78, (fy - 0.2) * (height / width));
      if (dsun < 0.09) { r = 250; g = 220; b = 90; }
      if (fx > 0.15 && fx < 0.45 && fy > 0.35 && fy < 0.8) {
        r = 180; g = 60; b = 50; // wall
        if (fx > 0.24 && fx < 0.34 && fy > 0.45 && fy < 0.6) { r = 30; g = 30; b = 40; } // window
      }
      if (fx > 0.55 && fx < 0.95 && fy > 0.62 && fy < 0.92) {
        const stripe = 0.5 + 0.5 * Math.sin((fx + fy) * 2 * Math.PI * 7); // smooth grating, ~4.5 px period at 32 px
        r = 40 + 180 * stripe; g = 160 + 60 * stripe; b = 90;
      }
      if (fx > 0.04 && fx < 0.16 && fy > 0.84) {
        const check = (Math.floor(fx * 16) + Math.floor(fy * 16)) % 2; // 2 px cells at 32 px
        r = g = b = check ? 235 : 20;
      }
      const i = (y * width + x) * 3;
      data[i] = r; data[i + 1] = g; data[i + 2] = b;
    }
  }
  return { width, height, data };
}
