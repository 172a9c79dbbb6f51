/**
 * Baseline JPEG encode/decode round trip, without the entropy coding (which is lossless and
 * so cannot change pixels): JFIF YCbCr with integer rounding, 4:2:0 chroma (2x2 mean), 8x8 DCT,
 * quantisation with the ITU T.81 Annex K tables scaled by the IJG quality formula (as libjpeg /
 * PIL do), dequantisation, inverse DCT, and "fancy" (bilinear, centre-sited) chroma upsampling.
 */
import { type FloatImage, axisTable, createFloat, resampleSeparable } from './image.js';

// ITU T.81 Annex K.1 example tables, natural (row-major) order.
const LUMA_TABLE = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87,
  80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92,
  95, 98, 112, 100, 103, 99,
];
const CHROMA_TABLE = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99,
  99, 99, ...new Array<number>(32).fill(99),
];

/** IJG quality scaling (jpeg_set_quality with force_baseline): entries clamped to 1..255. */
export function scaledTable(base: readonly number[], quality: number): Float32Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const factor = q < 50 ? Math.floor(5000 / q) : 200 - 2 * q;
  return Float32Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * factor + 50) / 100))));
}

/** Orthonormal 8-point DCT-II basis: DCT[u*8 + x]. */
const DCT = (() => {
  const m = new Float32Array(64);
  for (let u = 0; u < 8; u++) {
    const c = u === 0 ? Math.sqrt(1 / 8) : Math.sqrt(2 / 8);
    for (let x = 0; x < 8; x++) m[u * 8 + x] = c * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return m;
})();

/** In place on a plane whose sides are multiples of 8; samples are 0..255 and come back rounded. */
function quantizePlane(plane: Float32Array, width: number, height: number, table: Float32Array): void {
  const block = new Float32Array(64);
  const tmp = new Float32Array(64);
  for (let by = 0; by < height; by += 8) {
    for (let bx = 0; bx < width; bx += 8) {
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) block[y * 8 + x] = plane[(by + y) * width + bx + x] - 128;
      // Forward: coef = DCT * block * DCT^T.
      for (let u = 0; u < 8; u++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let y = 0; y < 8; y++) s += DCT[u * 8 + y] * block[y * 8 + x];
          tmp[u * 8 + x] = s;
        }
      }
      for (let u = 0; u < 8; u++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let x = 0; x < 8; x++) s += tmp[u * 8 + x] * DCT[v * 8 + x];
          const q = table[u * 8 + v];
          block[u * 8 + v] = Math.round(s / q) * q; // the only lossy step
        }
      }
      // Inverse: block = DCT^T * coef * DCT.
      for (let y = 0; y < 8; y++) {
        for (let v = 0; v < 8; v++) {
          let s = 0;
          for (let u = 0; u < 8; u++) s += DCT[u * 8 + y] * block[u * 8 + v];
          tmp[y * 8 + v] = s;
        }
      }
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          let s = 0;
          for (let v = 0; v < 8; v++) s += tmp[y * 8 + v] * DCT[v * 8 + x];
          const sample = Math.round(s + 128);
          plane[(by + y) * width + bx + x] = sample < 0 ? 0 : sample > 255 ? 255 : sample;
        }
      }
    }
  }
}

/** Round trip of an rgb image in [0, 1] at the given IJG quality; result holds the decoded 8-bit values / 255. */
export function jpegRoundTrip(img: FloatImage, quality: number): FloatImage {
  const { width: w, height: h } = img;
  // libjpeg pads each image to whole 16x16 MCUs by repeating the last row and column.
  const pw = Math.ceil(w / 16) * 16;
  const ph = Math.ceil(h / 16) * 16;
  const Y = new Float32Array(pw * ph);
  const cb = new Float32Array(pw * ph);
  const cr = new Float32Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(y, h - 1);
    for (let x = 0; x < pw; x++) {
      const s = (sy * w + Math.min(x, w - 1)) * 3;
      const r = Math.round(img.data[s] * 255);
      const g = Math.round(img.data[s + 1] * 255);
      const b = Math.round(img.data[s + 2] * 255);
      const o = y * pw + x;
      Y[o] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      cb[o] = Math.round(-0.168736 * r - 0.331264 * g + 0.5 * b + 128);
      cr[o] = Math.round(0.5 * r - 0.418688 * g - 0.081312 * b + 128);
    }
  }
  const cw = pw / 2;
  const chh = ph / 2;
  const cbSmall = downsample2x2(cb, pw, ph);
  const crSmall = downsample2x2(cr, pw, ph);
  quantizePlane(Y, pw, ph, scaledTable(LUMA_TABLE, quality));
  const chromaTable = scaledTable(CHROMA_TABLE, quality);
  quantizePlane(cbSmall, cw, chh, chromaTable);
  quantizePlane(crSmall, cw, chh, chromaTable);

  // Chroma sample j sits between luma pixels 2j and 2j+1, hence (x + 0.5) / 2 - 0.5.
  const realCw = Math.ceil(w / 2);
  const realCh = Math.ceil(h / 2);
  const xs = axisTable(w, realCw, (x) => (x + 0.5) / 2 - 0.5);
  const ys = axisTable(h, realCh, (y) => (y + 0.5) / 2 - 0.5);
  const cbUp = resampleSeparable(crop(cbSmall, cw, realCw, realCh), xs, ys).data;
  const crUp = resampleSeparable(crop(crSmall, cw, realCw, realCh), xs, ys).data;

  const out = createFloat(w, h, 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const yy = Y[y * pw + x];
      const db = Math.round(cbUp[p]) - 128;
      const dr = Math.round(crUp[p]) - 128;
      out.data[p * 3] = clampByte(yy + 1.402 * dr) / 255;
      out.data[p * 3 + 1] = clampByte(yy - 0.344136 * db - 0.714136 * dr) / 255;
      out.data[p * 3 + 2] = clampByte(yy + 1.772 * db) / 255;
    }
  }
  return out;
}

function clampByte(v: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

function downsample2x2(plane: Float32Array, width: number, height: number): Float32Array {
  const w2 = width / 2;
  const out = new Float32Array(w2 * (height / 2));
  for (let y = 0; y < height / 2; y++) {
    for (let x = 0; x < w2; x++) {
      const a = 2 * y * width + 2 * x;
      out[y * w2 + x] = Math.round((plane[a] + plane[a + 1] + plane[a + width] + plane[a + width + 1]) / 4);
    }
  }
  return out;
}

function crop(plane: Float32Array, stride: number, width: number, height: number): FloatImage {
  const out = createFloat(width, height, 1);
  for (let y = 0; y < height; y++) out.data.set(plane.subarray(y * stride, y * stride + width), y * width);
  return out;
}
