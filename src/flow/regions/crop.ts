/**
 * Cutting a region out of a decoded frame: only the region's bytes are copied (row by row out of
 * the packed rgb24 frame), once per frame and region; the full frame itself is never copied.
 */
import type { Region } from '../../config/regions.js';
import type { Frame } from '../../stream/index.js';

/** A region in pixels of one frame size: [x, x + width) x [y, y + height). */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The pixels a normalised region covers in a width x height frame: edges rounded, never empty. */
export function pixelRect(region: Pick<Region, 'x' | 'y' | 'width' | 'height'>, width: number, height: number): PixelRect {
  const [x0, x1] = span(region.x, region.width, width);
  const [y0, y1] = span(region.y, region.height, height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** [start, end) of one axis, clamped to the frame and at least one pixel wide. */
function span(start: number, extent: number, size: number): [number, number] {
  const from = Math.min(size - 1, Math.max(0, Math.round(start * size)));
  const to = Math.min(size, Math.max(from + 1, Math.round((start + extent) * size)));
  return [from, to];
}

/** The rect's bytes of an rgb24 frame, packed (a new buffer of rect.width * rect.height * 3 bytes). */
export function cropRgb(data: Uint8Array, frameWidth: number, rect: PixelRect): Uint8Array {
  const rowBytes = rect.width * 3;
  const out = new Uint8Array(rowBytes * rect.height);
  for (let row = 0; row < rect.height; row++) {
    const from = ((rect.y + row) * frameWidth + rect.x) * 3;
    out.set(data.subarray(from, from + rowBytes), row * rowBytes);
  }
  return out;
}

/** The region's frame: the source frame's timing and flags, the region's stream id, size and pixels. */
export function cropFrame(frame: Frame, streamId: string, region: Pick<Region, 'x' | 'y' | 'width' | 'height'>): Frame {
  const rect = pixelRect(region, frame.width, frame.height);
  return { ...frame, streamId, width: rect.width, height: rect.height, data: cropRgb(frame.data, frame.width, rect) };
}
