/**
 * serve's /metrics has no JPEG timing, so the cost of the per-frame JPEG work is measured here
 * directly: the server's own encodeJpeg on one display-size source frame plus one edited frame at
 * the editor's size (the qualities serve uses), median over `runs` after a warm-up.
 */
import { encodeJpeg } from '../server/jpeg.js';
import { median, round } from './stats.js';
import { syntheticBatch } from './synthetic-frames.js';

/** serve raises the edited image's quality to at least this (server/frame-message.ts). */
const MIN_EDITED_QUALITY = 92;

export interface JpegCostOptions {
  source: { width: number; height: number };
  edited: { width: number; height: number } | null;
  quality: number;
  runs: number;
}

/** Median milliseconds to encode one frame message's images (both encodings run concurrently, as in serve). */
export async function measureJpegCost(options: JpegCostOptions): Promise<number> {
  const [source] = syntheticBatch(1, options.source);
  const edited = options.edited ? syntheticBatch(1, options.edited)[0] : null;
  const once = async () => {
    const started = performance.now();
    await Promise.all([encodeJpeg(source, options.quality), edited ? encodeJpeg(edited, Math.max(options.quality, MIN_EDITED_QUALITY)) : null]);
    return performance.now() - started;
  };
  for (let i = 0; i < 3; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < options.runs; i++) times.push(await once());
  return round(median(times), 3);
}
