/**
 * Scenario gate: what the corruption gate saves (issue 20). One live 30 fps stream through
 * `serve`, clean and then under fog:5, each with the gate on (auto) and off. Per run: the worker's
 * own time per inferred frame (from serve's stage histograms), the share of frames the editor ran
 * on, and latency. A clean feed should cost several times less with the gate on, a corrupted one
 * the same (its frames still need the editor).
 */
import { measureLive, type LiveOptions, type LiveResult } from './live.js';
import { finiteOrNull, ratio } from './stats.js';

/** The corrupted feed: fog is a test type the editor helps with at severity 5. */
export const GATE_CORRUPTED_FEED = 'fog:5';

export interface GateRun {
  worker_ms_per_frame: number | null;
  /** Share of inferred frames the editor ran on. */
  edited_share: number | null;
  fps: number;
  p95_ms: number | null;
  details: LiveResult;
}

export interface GateFeedResult {
  /** The lavfi feed, and the corruption on it (null: clean). */
  corruption: string | null;
  gate_on: GateRun;
  gate_off: GateRun;
  /** Worker time per frame with the gate off over with it on: how many times cheaper the gate makes a frame. */
  saving: number | null;
}

export interface GateCostResult {
  clean: GateFeedResult;
  corrupted: GateFeedResult;
}

type GateCostOptions = Omit<LiveOptions, 'gate' | 'corrupt' | 'streams'>;

function gateRun(details: LiveResult): GateRun {
  return { worker_ms_per_frame: details.worker_ms_per_frame, edited_share: details.edited_share, fps: details.fps, p95_ms: details.latency.p95_ms, details };
}

async function measureFeed(options: GateCostOptions, corruption: string | null, log: (message: string) => void): Promise<GateFeedResult> {
  const measure = async (gate: 'auto' | 'off'): Promise<GateRun> => {
    const result = gateRun(await measureLive({ ...options, streams: 1, gate, ...(corruption ? { corrupt: corruption } : {}) }));
    log(`  ${corruption ?? 'clean'}, gate ${gate}: ${result.worker_ms_per_frame ?? '-'} ms worker time per frame, editor on ${result.edited_share ?? '-'} of frames`);
    return result;
  };
  const on = await measure('auto');
  const off = await measure('off');
  return { corruption, gate_on: on, gate_off: off, saving: finiteOrNull(ratio(off.worker_ms_per_frame ?? Number.NaN, on.worker_ms_per_frame ?? Number.NaN), 2) };
}

export async function measureGateCost(options: GateCostOptions, log: (message: string) => void): Promise<GateCostResult> {
  return { clean: await measureFeed(options, null, log), corrupted: await measureFeed(options, GATE_CORRUPTED_FEED, log) };
}
