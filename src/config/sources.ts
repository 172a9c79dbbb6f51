/**
 * What a source URL points at, and the defaults that follow from it. Kept apart from the schema so
 * that src/stream can ask the same questions when it builds ffmpeg inputs.
 */

import type { SourceMode } from '../stream/source.js';

/** The coarse kind a configured URL has (src/stream classifies inputs in more detail: InputKind). */
export type ConfiguredSourceKind = 'demo' | 'file' | 'device' | 'lavfi' | 'network';

/** Network schemes handed to ffmpeg as they are (cameras, restreamers, HLS). */
export const NETWORK_SCHEMES = ['rtsp', 'rtsps', 'rtmp', 'rtmps', 'http', 'https', 'srt', 'udp', 'tcp'] as const;

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const DEVICE = /^\/dev\/video\d+$/;

/** Classifies a source URL; `undefined` for a `scheme://` ffmpeg input we do not support. */
export function sourceKind(url: string): ConfiguredSourceKind | undefined {
  if (url === 'demo') return 'demo';
  if (url.startsWith('lavfi:')) return 'lavfi';
  if (DEVICE.test(url)) return 'device';
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'file';
  if (scheme === 'file') return 'file';
  return (NETWORK_SCHEMES as readonly string[]).includes(scheme) ? 'network' : undefined;
}

/**
 * Files are replayed (nothing may be lost); everything else is live (keep the newest frame).
 * An http(s) URL of a finished file is the one case to set `mode: "replay"` by hand.
 */
export function defaultMode(kind: ConfiguredSourceKind): SourceMode {
  return kind === 'file' ? 'replay' : 'live';
}
