/**
 * The JPEG round trip of jpeg_compression: encode and decode with libjpeg through sharp, as
 * CIFAR-10-C did with PIL (baseline, 4:2:0 chroma, the IJG quality-scaled Annex K tables, the
 * islow DCT and fancy upsampling on decode). The output is byte-identical to PIL's
 * (test/unit/corrupt-jpeg.test.ts, fixture from training/fixtures/make_jpeg_fixture.py).
 * Asynchronous: the codec runs on libuv's thread pool, not on the caller's event loop.
 */
import sharp from 'sharp';
import type { RgbImage } from './types.js';

/** Options pinned to libjpeg's defaults, so that a change of sharp's defaults cannot move the pixels. */
const LIBJPEG_BASELINE = {
  chromaSubsampling: '4:2:0',
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
  quantisationTable: 0, // Annex K, which jpeg_set_quality scales
} as const;

/** Packed rgb24 -> JPEG at the IJG `quality` (1-100) -> packed rgb24 of the same size. */
export async function jpegRoundTrip(image: RgbImage, quality: number): Promise<Uint8Array> {
  const { width, height, data } = image;
  const jpeg = await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality, ...LIBJPEG_BASELINE }).toBuffer();
  const decoded = await sharp(jpeg).raw().toBuffer();
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}
