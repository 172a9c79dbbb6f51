import { fileURLToPath } from 'node:url';
import { InvalidSourceError } from './errors.js';

/**
 * A configured source string, classified. Each kind maps to its own ffmpeg input options
 * (see `decodePlan` in ffmpeg.ts); `url` is the configured string (trimmed), for messages.
 */
export type SourceInput =
  | { kind: 'file'; url: string; path: string }
  | { kind: 'rtsp'; url: string }
  | { kind: 'http'; url: string; hls: boolean }
  /** Other network protocols ffmpeg reads as they are: rtmp(s)://, srt://, udp://, tcp://. */
  | { kind: 'network'; url: string; protocol: string }
  | { kind: 'v4l2'; url: string; device: string }
  | {
      kind: 'lavfi';
      url: string;
      graph: string;
      /** Frame rate read from the graph text (`rate=`/`r=` of the first filter, or a later `fps=`). */
      fps: number | undefined;
    };

/** How an input is opened by ffmpeg (the configuration's coarser kind is ConfiguredSourceKind). */
export type InputKind = SourceInput['kind'];

const OTHER_NETWORK_PROTOCOLS = new Set(['rtmp', 'rtmps', 'srt', 'udp', 'tcp']);

const SUPPORTED_FORMS =
  'a file path, file://, rtsp(s)://, http(s):// (HLS included), rtmp(s)://, srt://, udp://, tcp://, /dev/videoN or lavfi:<filtergraph>';

/**
 * Classifies a source string:
 *   "clips/a.mp4", "/abs/a.mp4", "file:///abs/a.mp4" -> file
 *   "rtsp://cam/stream" -> rtsp (decoded over TCP)
 *   "https://host/live.m3u8" -> http, hls: true
 *   "srt://host:9000", "rtmp://host/app/key", "udp://@:1234" -> network
 *   "/dev/video0" -> v4l2
 *   "lavfi:testsrc2=size=640x480:rate=30" -> lavfi, fps 30
 * @throws InvalidSourceError (code SOURCE_INVALID) for an empty string, an empty lavfi graph or an
 *   unsupported URL scheme.
 */
export function parseSourceUrl(url: string): SourceInput {
  const text = url.trim();
  if (text === '') throw new InvalidSourceError(`empty source string; expected ${SUPPORTED_FORMS}`, { url });

  if (text.startsWith('lavfi:')) {
    const graph = text.slice('lavfi:'.length).trim();
    if (graph === '') throw new InvalidSourceError('empty lavfi filter graph', { url });
    return { kind: 'lavfi', url: text, graph, fps: lavfiFrameRate(graph) };
  }

  if (/^\/dev\/video\d+$/.test(text)) return { kind: 'v4l2', url: text, device: text };

  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  switch (scheme) {
    case undefined:
      return { kind: 'file', url: text, path: text };
    case 'file':
      return { kind: 'file', url: text, path: fileUrlToPath(text) };
    case 'rtsp':
    case 'rtsps':
      return { kind: 'rtsp', url: text };
    case 'http':
    case 'https':
      return { kind: 'http', url: text, hls: isHlsUrl(text) };
    default:
      if (OTHER_NETWORK_PROTOCOLS.has(scheme)) return { kind: 'network', url: text, protocol: scheme };
      throw new InvalidSourceError(`unsupported scheme "${scheme}://"; expected ${SUPPORTED_FORMS}`, { url });
  }
}

/** Live inputs never end on their own; files are replayed. Used when the config leaves `mode` out. */
export function defaultModeFor(input: SourceInput): 'live' | 'replay' {
  return input.kind === 'file' ? 'replay' : 'live';
}

/**
 * Parses an ffmpeg frame rate: "30", "29.97", "30000/1001". Returns undefined for anything else
 * (including ffprobe's "0/0" for unknown), never NaN or Infinity.
 */
export function parseFrameRate(text: string | number | undefined): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? text : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)(?:\/(\d+(?:\.\d+)?))?\s*$/.exec(text ?? '');
  if (!match) return undefined;
  const rate = Number(match[1]) / (match[2] === undefined ? 1 : Number(match[2]));
  return Number.isFinite(rate) && rate > 0 ? rate : undefined;
}

/**
 * Best-effort frame rate of a lavfi graph, for ptsMs. A later `fps=` filter decides the output
 * rate; otherwise the source filter's `rate=`/`r=` option. Unknown (e.g. named rates such as
 * "ntsc", or the filter's default) -> undefined, and the source probes the graph instead.
 */
function lavfiFrameRate(graph: string): number | undefined {
  const chain = graph.split(/[,;]/);
  for (const filter of chain.slice(1).reverse()) {
    const fps = /^\s*fps=(?:fps=)?([^:]+)/.exec(filter)?.[1];
    if (fps !== undefined) return parseFrameRate(fps);
  }
  const rate = /(?:^|[=:])(?:rate|r)=([^:]+)/.exec(chain[0] ?? '')?.[1];
  return parseFrameRate(rate);
}

function isHlsUrl(text: string): boolean {
  try {
    return new URL(text).pathname.toLowerCase().endsWith('.m3u8');
  } catch {
    return false;
  }
}

function fileUrlToPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (cause) {
    throw new InvalidSourceError('not a valid file:// URL', { url, cause });
  }
}
