/**
 * Scenario static: many live cameras watching quiet scenes, with motion gating on. Each source is
 * a still picture under light camera noise with an object that crosses it for 2 s every 10 s
 * (lavfi: color + drawbox + noise); `serve` should then infer only when something moves and keep
 * every stream's latency low, far beyond the 3 streams it serves when every frame is inferred.
 */
import { measureLive, type LiveOptions, type LiveResult } from './live.js';

/** A still scene at `width`x`height`, `fps`: noise of a cheap sensor, a 2 s crossing every 10 s. */
export function quietSceneGraph(width: number, height: number, fps: number): string {
  const box = Math.round(height / 8);
  return [
    `color=c=0x5a6b7c:s=${width}x${height}:r=${fps}`,
    `drawbox=x=${Math.round(width / 4)}:y=${Math.round(height / 3)}:w=${Math.round(width / 3)}:h=${Math.round(height / 4)}:color=0x2e3a46:t=fill`,
    `drawbox=x='mod(t,10)*${Math.round(width / 2)}':y=${Math.round(height / 2)}:w=${box}:h=${box}:color=white:t=fill:enable='lt(mod(t,10),2)'`,
    'noise=alls=6:allf=t',
  ].join(',');
}

export interface StaticStreamsResult {
  streams: number;
  /** Frames that came off the sources per second, all streams: processed (inferred + reused) + dropped. */
  frames_in_per_s: number;
  inferred_per_s: number;
  reused_per_s: number;
  p95_ms: number | null;
  drops_per_s: number;
  details: LiveResult;
}

export async function measureStaticStreams(options: Omit<LiveOptions, 'graph' | 'motionGate'>): Promise<StaticStreamsResult> {
  const details = await measureLive({ ...options, graph: quietSceneGraph(options.size.width, options.size.height, options.fps), motionGate: true });
  return {
    streams: options.streams,
    frames_in_per_s: Math.round((details.fps + details.drops_per_s) * 100) / 100,
    inferred_per_s: details.inferred_per_s,
    reused_per_s: details.reused_per_s,
    p95_ms: details.latency.p95_ms,
    drops_per_s: details.drops_per_s,
    details,
  };
}
