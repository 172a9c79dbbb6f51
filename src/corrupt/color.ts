/** Global colour transforms: brightness (HSV value), contrast, saturate (HSV saturation). */
import { type FloatImage, createFloat } from './image.js';
import { BRIGHTNESS, CONTRAST, SATURATE } from './params.js';
import type { Severity } from './types.js';

/**
 * HSV value + c, clipped to 1, hue and saturation kept. Because every RGB component is
 * proportional to V at fixed H and S, this is a per-pixel rescale by newV / V (no HSV round trip).
 */
export function brightness(img: FloatImage, severity: Severity): FloatImage {
  const c = BRIGHTNESS[severity - 1];
  const out = createFloat(img.width, img.height, 3);
  const s = img.data;
  for (let i = 0; i < s.length; i += 3) {
    const v = Math.max(s[i], s[i + 1], s[i + 2]);
    const nv = Math.min(1, v + c);
    if (v <= 0) {
      out.data[i] = out.data[i + 1] = out.data[i + 2] = nv;
    } else {
      const k = nv / v;
      out.data[i] = s[i] * k;
      out.data[i + 1] = s[i + 1] * k;
      out.data[i + 2] = s[i + 2] * k;
    }
  }
  return out;
}

/** (x - channel mean) * c + channel mean. */
export function contrast(img: FloatImage, severity: Severity): FloatImage {
  const c = CONTRAST[severity - 1];
  const n = img.width * img.height;
  const mean = [0, 0, 0];
  for (let i = 0; i < n * 3; i++) mean[i % 3] += img.data[i];
  for (let ch = 0; ch < 3; ch++) mean[ch] /= n;
  const out = createFloat(img.width, img.height, 3);
  for (let i = 0; i < n * 3; i++) {
    const m = mean[i % 3];
    out.data[i] = (img.data[i] - m) * c + m;
  }
  return out;
}

/**
 * HSV saturation * a + b, clipped to [0, 1]. A component's distance below V is proportional to S,
 * so it is rescaled by newS / S. Grey pixels have hue 0 (red) in skimage, so a positive b tints
 * them red exactly as the original does.
 */
export function saturate(img: FloatImage, severity: Severity): FloatImage {
  const [a, b] = SATURATE[severity - 1];
  const out = createFloat(img.width, img.height, 3);
  const s = img.data;
  for (let i = 0; i < s.length; i += 3) {
    const v = Math.max(s[i], s[i + 1], s[i + 2]);
    const min = Math.min(s[i], s[i + 1], s[i + 2]);
    const delta = v - min;
    const sat = v > 0 ? delta / v : 0;
    const ns = Math.min(1, Math.max(0, sat * a + b));
    if (delta <= 0) {
      out.data[i] = v;
      out.data[i + 1] = out.data[i + 2] = v * (1 - ns);
      continue;
    }
    const k = (ns * v) / delta; // new distance below V per unit of old distance
    for (let ch = 0; ch < 3; ch++) out.data[i + ch] = v - (v - s[i + ch]) * k;
  }
  return out;
}
