/**
 * The shape of bench/results.json. The top-level keys the issue names (ceiling, ratio_dpm20_cm4,
 * replay, live, multi, rss_mb, machine) hold the headline numbers; the `*_details` fields and
 * `stages` keep what they were derived from. null means "not measured" (scenario skipped, editor
 * missing from the bundle, no sample).
 */
import type { CeilingResult } from './ceiling.js';
import type { GateCostResult } from './gate-cost.js';
import type { LimitResult } from './limit.js';
import type { LiveResult } from './live.js';
import type { MachineInfo } from './machine.js';
import type { ReplayScenarioResult } from './replay.js';
import type { ReplayHdResult } from './replay-hd.js';
import type { StaticStreamsResult } from './static-streams.js';
import type { TorchPeerResult } from './torch-peer.js';

export const SCENARIOS = ['ceiling', 'limit', 'replay', 'replay_hd', 'live', 'multi', 'static', 'gate'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type TargetStatus = 'met' | 'missed' | 'not measured';

export type TargetId = 'efficiency' | 'replay_hd_efficiency' | 'live_p95' | 'ratio_dpm20_cm4' | 'overload_bounded' | 'static_p95' | 'cm4_limit_efficiency' | 'cm4_int8_speedup' | 'gate_clean_saving' | 'gate_corrupted_cost';

export interface TargetCheck {
  /** Stable key (the name is for people). */
  id: TargetId;
  name: string;
  target: string;
  value: string;
  status: TargetStatus;
}

export interface MultiStreamPoint {
  streams: number;
  /** Frames processed per second, all streams together. */
  fps: number;
  p95_ms: number | null;
  drops_per_s: number;
  p99_ms: number | null;
  skipped_per_s: number;
  /** p95 over the second half of the window divided by the first half's: above 1 means growing. */
  p95_trend: number | null;
  details: LiveResult;
}

export type CeilingKey = 'classifier' | 'cm4' | 'dpm20' | 'classifier_int8' | 'cm4_int8';

export interface BenchResults {
  ceiling: {
    classifier_fps: number | null;
    cm4_fps: number | null;
    dpm20_fps: number | null;
    /** The bundle's int8 variant (model.precision int8); null without one. */
    classifier_int8_fps: number | null;
    cm4_int8_fps: number | null;
    /** cm4_int8_fps / cm4_fps. */
    cm4_int8_speedup: number | null;
    batch: number;
    in_flight: number;
    details: Record<CeilingKey, CeilingResult | null>;
  };
  /** How far each pipeline runs from the machine's multiply-add peak (limit scenario). */
  limit: LimitResult | null;
  /** The same weights in PyTorch eager (limit scenario); skipped with a note without PyTorch. */
  pytorch: TorchPeerResult | null;
  /** Per-frame time of DPM-20 + ensemble over CM-4 + ensemble (= cm4_fps / dpm20_fps). */
  ratio_dpm20_cm4: number | null;
  /** The same ratio for the UNet stage alone (the editors' sampling loops). */
  ratio_dpm20_cm4_unet: number | null;
  /** The same ratio for the editor alone: VAE encode + sampling + VAE decode (both classifier calls left out). */
  ratio_dpm20_cm4_editor: number | null;
  replay: { fps: number | null; efficiency: number | null; video: string | null; details: ReplayScenarioResult | null };
  live: {
    p50_ms: number | null;
    p95_ms: number | null;
    p99_ms: number | null;
    drops_per_s: number | null;
    latency_measured_as: 'capture (serve reads the frame off ffmpeg) -> ws client receive';
    details: LiveResult | null;
  };
  multi: MultiStreamPoint[];
  /** Real-size footage: 1280x720 H.264 through `run`, against ffmpeg's decode-only speed of the file. */
  replay_hd: ReplayHdResult | null;
  /** Many live cameras on quiet scenes with motion gating on. */
  static_streams: StaticStreamsResult | null;
  /** The corruption gate's saving on a clean and a corrupted live feed (scenario gate). */
  gate: GateCostResult | null;
  rss_mb: Record<string, number | null>;
  /** Median ms of one frame message's JPEG work (source + edited), measured in the bench process. */
  jpeg_ms_per_frame: number | null;
  targets: TargetCheck[];
  machine: MachineInfo;
  settings: Record<string, unknown>;
  warnings: string[];
}

/** The keys bench/results.json must have, for the shape test and for consumers. */
export const REQUIRED_KEYS: Record<string, readonly string[]> = {
  '': ['ceiling', 'ratio_dpm20_cm4', 'replay', 'live', 'multi', 'rss_mb', 'machine'],
  ceiling: ['classifier_fps', 'cm4_fps', 'dpm20_fps'],
  replay: ['fps', 'efficiency'],
  live: ['p50_ms', 'p95_ms', 'p99_ms', 'drops_per_s'],
  machine: ['cpu_model', 'cores', 'node', 'onnxruntime', 'os', 'date', 'load_average_at_start'],
};

/** Problems with a parsed results file's shape (empty when it has every required key). */
export function shapeProblems(results: unknown): string[] {
  const problems: string[] = [];
  const root = results as Record<string, unknown> | null;
  if (typeof root !== 'object' || root === null) return ['results is not an object'];
  for (const [section, keys] of Object.entries(REQUIRED_KEYS)) {
    const object = (section === '' ? root : root[section]) as Record<string, unknown> | undefined;
    if (typeof object !== 'object' || object === null) {
      problems.push(`${section} is missing`);
      continue;
    }
    for (const key of keys) if (!(key in object)) problems.push(`${section ? `${section}.` : ''}${key} is missing`);
  }
  if (!Array.isArray(root.multi)) problems.push('multi is not a list');
  else {
    root.multi.forEach((point: Record<string, unknown>, i: number) => {
      for (const key of ['streams', 'fps', 'p95_ms', 'drops_per_s']) if (!(key in point)) problems.push(`multi[${i}].${key} is missing`);
    });
  }
  return problems;
}
