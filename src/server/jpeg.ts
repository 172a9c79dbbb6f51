/**
 * JPEG encoding of packed rgb24 images with sharp (libvips, off the event loop in libuv's pool).
 * The server encodes each frame once and sends the same bytes to every client; a worker fed by the
 * broker decodes the ingest's JPEG back to pixels.
 */
import sharp from 'sharp';
import type { RgbImage } from '../image/rgb-image.js';
import type { EncodedImage } from './protocol.js';

export async function encodeJpeg(image: RgbImage, quality: number): Promise<EncodedImage> {
  const expected = image.width * image.height * 3;
  if (image.data.byteLength !== expected) {
    throw new RangeError(`rgb24 image of ${image.width}x${image.height} needs ${expected} bytes, got ${image.data.byteLength}`);
  }
  const data = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    // 4:4:4 keeps colour edges sharp; chroma subsampling smears tiny images such as a 32x32 edit.
    .jpeg({ quality, chromaSubsampling: '4:4:4' })
    .toBuffer();
  return { data, width: image.width, height: image.height };
}

/** The inverse, for frames that arrive as JPEG (a worker fed by the broker): packed rgb24 at the JPEG's size. */
export async function decodeJpeg(jpeg: Uint8Array): Promise<RgbImage> {
  const { data, info } = await sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new RangeError(`JPEG decoded to ${info.channels} channels, expected 3`);
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
