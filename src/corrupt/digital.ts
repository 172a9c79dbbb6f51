/** Digital family: elastic transform, pixelate, JPEG compression (contrast lives in color.ts). */
import { gaussianBlur } from './filters.js';
import { type FloatImage, createFloat, fromRgb, remapBilinear, resizeArea, resizeNearest, toRgbBytes, zoomCentered } from './image.js';
import { jpegRoundTrip } from './jpeg.js';
import { ELASTIC, JPEG_QUALITY, PIXELATE } from './params.js';
import type { Rng } from './prng.js';
import type { FrameScale } from './scale.js';
import type { RgbImage, Severity } from './types.js';

/**
 * A small random affine warp (three anchor points jittered by up to `affine` px, mirrored border)
 * followed by a smooth random displacement field: uniform noise on the base grid, gaussian-smoothed
 * (sigma in base px, truncate 3, reflect), times alpha, upsampled; sampled bilinearly with a
 * reflecting border. Two resamplings, like the original.
 */
export function elasticTransform(img: FloatImage, severity: Severity, rng: Rng, scale: FrameScale): FloatImage {
  const [alpha, sigma, affine] = ELASTIC[severity - 1];
  const { width: w, height: h } = img;
  const warped = randomAffine(img, affine * scale.s, rng);
  const dx = displacementField(rng, scale, sigma, alpha * scale.s, w, h);
  const dy = displacementField(rng, scale, sigma, alpha * scale.s, w, h);
  const mapX = new Float32Array(w * h);
  const mapY = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      mapX[p] = x + dx[p];
      mapY[p] = y + dy[p];
    }
  }
  return remapBilinear(warped, mapX, mapY, 'reflect');
}

function displacementField(rng: Rng, scale: FrameScale, sigma: number, amplitude: number, w: number, h: number): Float32Array {
  const noise = createFloat(scale.baseWidth, scale.baseHeight, 1);
  noise.data.set(rng.uniforms(noise.data.length, -1, 1));
  const smooth = gaussianBlur(noise, sigma, 'reflect', 3);
  const field = zoomCentered(smooth, w, h, 1).data;
  for (let i = 0; i < field.length; i++) field[i] *= amplitude;
  return field;
}

/** Affine map sending three anchors around the centre to jittered copies of themselves. */
function randomAffine(img: FloatImage, jitter: number, rng: Rng): FloatImage {
  const { width: w, height: h } = img;
  const cx = Math.floor(w / 2);
  const cy = Math.floor(h / 2);
  const sq = Math.floor(Math.min(w, h) / 3);
  const src: Array<[number, number]> = [
    [cx + sq, cy + sq],
    [cx + sq, cy - sq],
    [cx - sq, cy - sq],
  ];
  const dst = src.map(([x, y]) => [x + rng.uniform(-jitter, jitter), y + rng.uniform(-jitter, jitter)] as [number, number]);
  // Output pixel p reads the input at A^-1 p, where A maps src anchors to dst anchors;
  // equivalently solve the affine that maps dst anchors back to src anchors.
  const inv = solveAffine(dst, src);
  const mapX = new Float32Array(w * h);
  const mapY = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      mapX[p] = inv[0] * x + inv[1] * y + inv[2];
      mapY[p] = inv[3] * x + inv[4] * y + inv[5];
    }
  }
  return remapBilinear(img, mapX, mapY, 'mirror');
}

/** Affine [a b c; d e f] with (a x + b y + c, d x + e y + f) = to[i] for from[i], by Cramer's rule. */
function solveAffine(from: Array<[number, number]>, to: Array<[number, number]>): number[] {
  const [[x0, y0], [x1, y1], [x2, y2]] = from;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (Math.abs(det) < 1e-12) return [1, 0, 0, 0, 1, 0];
  const solve = (v0: number, v1: number, v2: number): [number, number, number] => [
    (v0 * (y1 - y2) - y0 * (v1 - v2) + (v1 * y2 - v2 * y1)) / det,
    (x0 * (v1 - v2) - v0 * (x1 - x2) + (x1 * v2 - x2 * v1)) / det,
    (x0 * (y1 * v2 - y2 * v1) - y0 * (x1 * v2 - x2 * v1) + v0 * (x1 * y2 - x2 * y1)) / det,
  ];
  return [...solve(to[0][0], to[1][0], to[2][0]), ...solve(to[0][1], to[1][1], to[2][1])];
}

/**
 * Box-downscale by c (in CIFAR pixels: to floor(W * c / s) x floor(H * c / s)) and nearest-upscale
 * back (PIL's BOX filter is nearest when enlarging).
 */
export function pixelate(img: FloatImage, severity: Severity, _rng: Rng, scale: FrameScale): FloatImage {
  const c = PIXELATE[severity - 1];
  const tw = Math.max(1, Math.floor((img.width * c) / scale.s + 1e-9));
  const th = Math.max(1, Math.floor((img.height * c) / scale.s + 1e-9));
  return resizeNearest(resizeArea(img, tw, th), img.width, img.height);
}

/**
 * JPEG round trip at the CIFAR quality (libjpeg, see jpeg.ts). JPEG's 8x8 block is a spatial size
 * too, so on frames larger than 32 px the codec runs on the frame shrunk to the base grid and only
 * its error (blocking, ringing, chroma bleed) is upsampled and added to the full-resolution frame:
 * the artifacts come out at CIFAR scale and a 32x32 downscale of the result equals JPEG of the downscale.
 */
export async function jpegCompression(img: FloatImage, severity: Severity, _rng: Rng, scale: FrameScale): Promise<FloatImage> {
  const quality = JPEG_QUALITY[severity - 1];
  if (scale.s <= 1) return fromRgb({ width: img.width, height: img.height, data: await jpegRoundTrip(toRgbImage(img), quality) });
  const base = toRgbImage(resizeArea(img, scale.baseWidth, scale.baseHeight));
  const compressed = await jpegRoundTrip(base, quality);
  // The codec's error against the bytes it was given, on the [0, 1] scale.
  const error = createFloat(base.width, base.height, 3);
  for (let i = 0; i < error.data.length; i++) error.data[i] = (compressed[i] - base.data[i]) / 255;
  const out = zoomCentered(error, img.width, img.height, 1);
  for (let i = 0; i < out.data.length; i++) out.data[i] += img.data[i];
  return out;
}

function toRgbImage(img: FloatImage): RgbImage {
  return { width: img.width, height: img.height, data: toRgbBytes(img) };
}
