/**
 * The files of `serve`'s recordings and which of them retention deletes. A segment is named
 * `<stream>-<recording start, UTC>-<index>.mp4`, e.g. `cam-20250102T030405.678Z-00012.mp4`: the
 * names of one stream sort by time, and a stream removed and added again within a second still
 * gets new names. (ffmpeg's -strftime names segments by the second, which collides for 1 s
 * segments.)
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface Retention {
  /** Newest segments kept per stream. */
  segments?: number | undefined;
  /** Segments last written longer ago than this are deleted. */
  hours?: number | undefined;
}

const SEGMENT_NAME = /^(.+)-(\d{8}T\d{6}\.\d{3}Z)-(\d{5})\.mp4$/;

/** The ffmpeg segment muxer's output pattern for a recording of `streamId` that starts at `startedAt`. */
export function segmentPattern(dir: string, streamId: string, startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:]/g, '');
  // A '%' in the folder would read as a pattern field.
  return join(dir.replaceAll('%', '%%'), `${streamId}-${stamp}-%05d.mp4`);
}

/** Segment files in `dir` by stream id, each list oldest first. */
export async function segmentsByStream(dir: string): Promise<Map<string, string[]>> {
  const byStream = new Map<string, string[]>();
  for (const name of (await readdir(dir)).sort()) {
    const streamId = SEGMENT_NAME.exec(name)?.[1];
    if (streamId === undefined) continue;
    let names = byStream.get(streamId);
    if (names === undefined) byStream.set(streamId, (names = []));
    names.push(name);
  }
  return byStream;
}

/**
 * Deletes the segments in `dir` that retention no longer keeps: beyond the newest `segments` of
 * each stream, and any last written before `hours` ago. Returns the names deleted. Files that
 * vanish meanwhile are skipped; other names in the folder are never touched.
 */
export async function applyRetention(dir: string, retention: Retention, now = Date.now()): Promise<string[]> {
  const doomed = new Set<string>();
  for (const names of (await segmentsByStream(dir)).values()) {
    if (retention.segments !== undefined) for (const name of names.slice(0, Math.max(0, names.length - retention.segments))) doomed.add(name);
    if (retention.hours !== undefined) {
      const cutoff = now - retention.hours * 3_600_000;
      for (const name of names) {
        const modified = await stat(join(dir, name)).then((s) => s.mtimeMs, () => undefined);
        if (modified !== undefined && modified < cutoff) doomed.add(name);
      }
    }
  }
  const deleted: string[] = [];
  for (const name of doomed) {
    await rm(join(dir, name), { force: true });
    deleted.push(name);
  }
  return deleted;
}
