/**
 * The picture a sink attaches to a label: the edited frame (what the adapted label saw), or the
 * frame itself when the editor is off. Sinks keep the reference, not a copy: the flow never reuses
 * a frame's or a result's buffer. Encoded only when it is sent, so frames that are never sent
 * cost nothing.
 */
import type { RgbImage } from '../image/rgb-image.js';
import type { FrameInference } from '../model/index.js';
import { encodeJpeg } from '../server/index.js';
import type { Frame } from '../stream/index.js';

/** Snapshots are small (the editor's size, 32x32 for CIFAR): spend the bytes on fidelity. */
const SNAPSHOT_QUALITY = 90;

export const snapshotImage = (frame: Frame, inference: FrameInference): RgbImage => inference.editedImage ?? frame;

export async function encodeSnapshot(image: RgbImage): Promise<Buffer> {
  const { data } = await encodeJpeg(image, SNAPSHOT_QUALITY);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
