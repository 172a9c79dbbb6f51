/**
 * Regions of interest: named rectangles of a source's decoded frame, each classified as a stream of
 * its own, `<streamId>.<regionId>` (a region id has no ".", so the last "." splits the two).
 * One set of rules for the config file (`sources[].regions`) and the `set-regions` ws message.
 */
import { z } from 'zod';

/** Each region is inferred like a stream: a cap keeps one camera from taking the whole worker. */
export const MAX_REGIONS_PER_SOURCE = 16;
/** Stream ids (region sub-streams too) are at most this long: they end up in metric labels and DOM attributes. */
export const MAX_STREAM_ID_LENGTH = 64;
/** Floating-point slack for x + width <= 1 (0.7 + 0.3 is 0.9999999999999999, 0.1 + 0.2 + 0.7 is 1.0000000000000002). */
const EDGE_SLACK = 1e-9;

/** Like a source id, without "." (it separates the stream id from the region id). */
export const regionIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'expected 1-32 letters, digits, "_" or "-" (starting with a letter or digit; no ".")');

const fraction = z.number().min(0, 'must be >= 0 (coordinates are fractions of the frame)').max(1, 'must be <= 1 (coordinates are fractions of the frame)');
const extent = z.number().gt(0, 'must be > 0').max(1, 'must be <= 1 (coordinates are fractions of the frame)');

/** x, y: top-left corner; all four are fractions of the decoded frame's width and height. */
export const regionSchema = z
  .strictObject({ id: regionIdSchema, x: fraction, y: fraction, width: extent, height: extent })
  .refine((r) => r.x + r.width <= 1 + EDGE_SLACK, { message: 'x + width must be <= 1: the region must lie inside the frame', path: ['width'] })
  .refine((r) => r.y + r.height <= 1 + EDGE_SLACK, { message: 'y + height must be <= 1: the region must lie inside the frame', path: ['height'] });

export const regionListSchema = z
  .array(regionSchema)
  .max(MAX_REGIONS_PER_SOURCE, `at most ${MAX_REGIONS_PER_SOURCE} regions per source`)
  .superRefine((regions, ctx) => {
    const seen = new Set<string>();
    regions.forEach((region, index) => {
      if (seen.has(region.id)) ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate region id "${region.id}"`, input: region.id });
      seen.add(region.id);
    });
  });

export type Region = z.output<typeof regionSchema>;

/** The id of a region's own stream. */
export function regionStreamId(streamId: string, regionId: string): string {
  return `${streamId}.${regionId}`;
}

/** `cam.1.door` -> {streamId: 'cam.1', regionId: 'door'}; undefined for an id with no ".". */
export function splitRegionStreamId(id: string): { streamId: string; regionId: string } | undefined {
  const dot = id.lastIndexOf('.');
  return dot <= 0 || dot === id.length - 1 ? undefined : { streamId: id.slice(0, dot), regionId: id.slice(dot + 1) };
}

/**
 * Region ids whose stream id would be longer than MAX_STREAM_ID_LENGTH, by index (for an issue
 * that names the field).
 */
export function overlongRegionIds(streamId: string, regions: readonly Pick<Region, 'id'>[]): number[] {
  return regions.flatMap((region, index) => (regionStreamId(streamId, region.id).length > MAX_STREAM_ID_LENGTH ? [index] : []));
}

export const overlongMessage = (streamId: string, regionId: string): string =>
  `the region's stream id "${regionStreamId(streamId, regionId)}" is longer than ${MAX_STREAM_ID_LENGTH} characters: use a shorter region id`;
