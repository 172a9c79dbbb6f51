/**
 * JPEG encoding of packed rgb24 images with sharp (libvips, off the event loop in libuv's pool).
 * The server encodes each frame once and sends the same bytes to every client.
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
