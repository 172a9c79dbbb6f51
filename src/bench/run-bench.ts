/**
 * One benchmark run: every scenario in turn (never two at once: they would compete for the same
 * cores), then the results. Scenario code lives in ceiling.ts, replay.ts, live.ts.
 */
import path from 'node:path';
import type { ModelConfig } from '../config/index.js';
import { readManifest, type Manifest } from '../model/index.js';
import { physicalCoreCount } from '../model/cpu-features.js';
import { BenchError } from './errors.js';
import { measureCeiling, type CeilingResult } from './ceiling.js';
import { measureLimit, measurePeaks, type LimitResult } from './limit.js';
import { measureTorchPeer, type TorchPeerResult } from './torch-peer.js';
import { measureGateCost, type GateCostResult } from './gate-cost.js';
import { measureJpegCost } from './jpeg-cost.js';
import { measureLive, type LiveResult } from './live.js';
import { busyMachineWarning, describeMachine } from './machine.js';
import { readPeakRssMb } from './memory.js';
import { measureReplay, type ReplayScenarioResult } from './replay.js';
import { HD_SIZE, measureReplayHd, type ReplayHdResult } from './replay-hd.js';
import { measureStaticStreams, type StaticStreamsResult } from './static-streams.js';
import { evaluateTargets } from './report.js';
import type { BenchResults, CeilingKey, MultiStreamPoint, Scenario } from './results.js';
import { finiteOrNull, ratio } from './stats.js';
import { ensureTestVideo } from './test-video.js';

/** How long and how often each scenario measures. */
export interface BenchProfile {
  ceiling: { warmupBatches: number; rounds: number; batchesPerRound: number };
  replay: { frames: number; width: number; height: number };
  /** Frames of the 1280x720 clip of replay_hd. */
  replayHd: { frames: number };
  /** Live quiet-scene streams with motion gating. */
  static: { streams: number; warmupSeconds: number; seconds: number };
  /** One live stream, clean and fog:5, gate on and off (four serve runs). */
  gate: { warmupSeconds: number; seconds: number };
  live: { warmupSeconds: number; seconds: number };
  multi: { streams: number[]; warmupSeconds: number; seconds: number };
  jpegRuns: number;
}

export const FULL_PROFILE: BenchProfile = {
  ceiling: { warmupBatches: 6, rounds: 5, batchesPerRound: 6 },
  replay: { frames: 600, width: 320, height: 240 },
  replayHd: { frames: 500 },
  static: { streams: 8, warmupSeconds: 5, seconds: 30 },
  gate: { warmupSeconds: 5, seconds: 20 },
  live: { warmupSeconds: 5, seconds: 60 },
  // 3 x 30 fps is the load the CPU frame-rate target is sized for; 4 overloads on purpose.
  multi: { streams: [2, 3, 4], warmupSeconds: 5, seconds: 30 },
  jpegRuns: 50,
};

export const QUICK_PROFILE: BenchProfile = {
  ceiling: { warmupBatches: 4, rounds: 3, batchesPerRound: 2 },
  replay: { frames: 240, width: 320, height: 240 },
  replayHd: { frames: 150 },
  static: { streams: 8, warmupSeconds: 2, seconds: 5 },
  gate: { warmupSeconds: 2, seconds: 5 },
  live: { warmupSeconds: 2, seconds: 10 },
  multi: { streams: [2, 4], warmupSeconds: 2, seconds: 5 },
  jpegRuns: 20,
};

/** Every live source runs at this rate. */
const LIVE_FPS = 30;
/** Display size of the live sources (serve's default decode size). */
const LIVE_SIZE = { width: 320, height: 240 };

export interface BenchOptions {
  quick: boolean;
  profile: BenchProfile;
  scenarios: ReadonlySet<Scenario>;
  /** The configuration's model section: bundle, providers, ensemble, threads... (editor and steps are the bench's). */
  model: ModelConfig;
  configFile?: string;
  batch: number;
  jpegQuality: number;
  /** Scratch folder (test video, summaries). */
  workDir: string;
  log: (message: string) => void;
}

interface BundleEditors {
  manifest: Manifest;
  cm: string;
  dpm: string | null;
}

/** The bundle's consistency editor (preferably named 'cm') and DDIM editor ('dpm'); a clear error when there is no bundle. */
export async function resolveBundle(bundleDir: string): Promise<BundleEditors> {
  let manifest: Manifest;
  try {
    manifest = await readManifest(bundleDir);
  } catch (error) {
    if ((error as { code?: string }).code === 'BUNDLE_FILE_MISSING') {
      throw new BenchError(
        'BENCH_BUNDLE_MISSING',
        `no model bundle in ${bundleDir} (manifest.json not found). Export the trained bundle there, or pass --bundle DIR ` +
          '(e.g. --bundle test/fixtures/model/bundle, tiny weights that exercise the same code paths).',
        { cause: error },
      );
    }
    throw error;
  }
  const pick = (name: string, kind: string) =>
    manifest.editors[name]?.kind === kind ? name : (Object.entries(manifest.editors).find(([, e]) => e.kind === kind)?.[0] ?? null);
  const cm = pick('cm', 'consistency');
  if (cm === null) throw new BenchError('BENCH_EDITOR_MISSING', `the bundle in ${bundleDir} has no consistency editor (kind 'consistency'); its editors: ${Object.keys(manifest.editors).join(', ') || 'none'}`);
  return { manifest, cm, dpm: pick('dpm', 'ddim-ip2p') };
}

function multiPoint(result: LiveResult): MultiStreamPoint {
  return {
    streams: result.streams,
    fps: result.fps,
    p95_ms: result.latency.p95_ms,
    drops_per_s: result.drops_per_s,
    p99_ms: result.latency.p99_ms,
    skipped_per_s: result.skipped_per_s,
    p95_trend: result.p95_trend,
    details: result,
  };
}

export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { profile, scenarios, log } = options;
  const machine = await describeMachine();
  const warnings: string[] = [];
  const busy = busyMachineWarning(machine);
  if (busy) warnings.push(busy);
  const { manifest, cm, dpm } = await resolveBundle(options.model.bundle);
  if (dpm === null) warnings.push(`the bundle has no DDIM editor: DPM-20 was not measured`);
  const inputSize = manifest.classifier.inputSize;

  // ---- 1. ceiling (the limit scenario needs its frames/s too) ----
  const ceilings: Record<CeilingKey, CeilingResult | null> = { classifier: null, cm4: null, dpm20: null, classifier_int8: null, cm4_int8: null };
  const hasInt8 = Object.keys(manifest.variants?.int8?.files ?? {}).length > 0;
  if (!hasInt8 && (scenarios.has('ceiling') || scenarios.has('limit'))) warnings.push('the bundle has no int8 variant (training/quantize.sh writes one): int8 was not measured');
  // The limit's peak is measured before the ceilings and again after them; the better one counts.
  // The engine's own thread count (onnx-model.ts): a peak measured on fewer threads than the
  // pipelines run on would put them above 100 %.
  const threads = options.model.intraOpThreads ?? physicalCoreCount();
  const earlierPeaks = scenarios.has('limit') ? await measurePeaks(threads) : undefined;
  if (scenarios.has('ceiling') || scenarios.has('limit')) {
    const runs: Array<[CeilingKey, string | null, 'fp32' | 'int8']> = [
      ['classifier', 'none', 'fp32'], ['classifier_int8', hasInt8 ? 'none' : null, 'int8'],
      ['cm4', cm, 'fp32'], ['cm4_int8', hasInt8 ? cm : null, 'int8'],
      ['dpm20', dpm, 'fp32'],
    ];
    for (const [key, editor, precision] of runs) {
      if (editor === null) continue;
      log(`ceiling: ${key} (editor ${editor}, ${precision}), batch ${options.batch}, 2 in flight`);
      ceilings[key] = await measureCeiling({ model: { ...options.model, precision }, editor, batch: options.batch, ...profile.ceiling });
      log(`  ${ceilings[key]!.fps} frames/s (rounds: ${ceilings[key]!.round_fps.join(', ')})`);
    }
  }
  const cm4Fps = ceilings.cm4?.fps ?? null;
  const dpm20Fps = ceilings.dpm20?.fps ?? null;

  // ---- 1b. limit: multiply-adds, the machine's peak, efficiency; the PyTorch peer ----
  let limit: LimitResult | null = null;
  let pytorch: TorchPeerResult | null = null;
  if (scenarios.has('limit')) {
    log('limit: multiply-adds per frame from the graphs, fp32 and int8 matmul peaks through onnxruntime');
    const fps = (key: CeilingKey) => ceilings[key]?.fps ?? null;
    limit = await measureLimit({
      bundleDir: options.model.bundle, manifest, cm, dpm, intraOpThreads: threads, earlierPeaks,
      fps: { classifier: fps('classifier'), cm4: fps('cm4'), dpm20: fps('dpm20'), classifier_int8: fps('classifier_int8'), cm4_int8: fps('cm4_int8') },
    });
    log(`  peak ${limit.peak_fp32_gmacs} (fp32) / ${limit.peak_int8_gmacs} (int8) G multiply-adds/s; CM-4 efficiency ${limit.efficiency.cm4 ?? '-'}`);
    log(`limit: the same weights in PyTorch eager, batch ${options.batch}, ${threads} threads`);
    pytorch = await measureTorchPeer({
      bundleDir: options.model.bundle, batch: options.batch, threads, ...profile.ceiling,
      warmupBatches: profile.ceiling.warmupBatches, ours: { classifier: fps('classifier'), cm4: cm4Fps },
    });
    log(pytorch.available ? `  PyTorch: classifier ${pytorch.classifier_fps}, CM-4 ${pytorch.cm4_fps} frames/s` : `  skipped: ${pytorch.note}`);
    if (!pytorch.available) warnings.push(`PyTorch peer skipped: ${pytorch.note}`);
  }

  // What every `run` and every `serve` the bench starts has in common.
  const runSettings = { bundleDir: options.model.bundle, editor: cm, batch: options.batch, configFile: options.configFile, workDir: options.workDir, timeoutMs: 600_000 };
  const serveSettings = { fps: LIVE_FPS, size: LIVE_SIZE, bundleDir: options.model.bundle, editor: cm, configFile: options.configFile, readyTimeoutMs: 120_000 };

  // ---- 2. replay ----
  let replay: ReplayScenarioResult | null = null;
  let video: string | null = null;
  if (scenarios.has('replay')) {
    video = await ensureTestVideo({ dir: options.workDir, frames: profile.replay.frames, width: profile.replay.width, height: profile.replay.height, fps: LIVE_FPS });
    log(`replay: decorruptor run on ${video} (decoded to ${inputSize.width}x${inputSize.height}), editor ${cm}, batch ${options.batch}`);
    replay = await measureReplay({ ...runSettings, video });
    log(`  ${replay.fps} frames/s steady state (the command's own figure, start-up included: ${replay.command_fps ?? '-'})`);
  }

  // ---- 2b. real-size replay ----
  let replayHd: ReplayHdResult | null = null;
  if (scenarios.has('replay_hd')) {
    log(`replay_hd: decorruptor run on a ${HD_SIZE.width}x${HD_SIZE.height} H.264 clip of ${profile.replayHd.frames} frames, and ffmpeg decoding it alone`);
    replayHd = await measureReplayHd({ ...runSettings, frames: profile.replayHd.frames, cm4CeilingFps: cm4Fps });
    log(`  ${replayHd.fps} frames/s (decode alone ${replayHd.decode_fps}), efficiency ${replayHd.efficiency ?? '-'}`);
  }

  // ---- 3. live, 4. multi-stream ----
  const liveRuns: LiveResult[] = [];
  const streamCounts = [1, ...profile.multi.streams.filter((n) => n !== 1)];
  for (const streams of streamCounts) {
    const isLive = streams === 1;
    if (!scenarios.has(isLive ? 'live' : 'multi')) continue;
    const timing = isLive ? profile.live : profile.multi;
    log(`${isLive ? 'live' : 'multi'}: decorruptor serve, ${streams} x ${LIVE_FPS} fps lavfi, editor ${cm}, ${timing.seconds} s after ${timing.warmupSeconds} s warm-up`);
    const result = await measureLive({ ...serveSettings, streams, warmupSeconds: timing.warmupSeconds, seconds: timing.seconds });
    liveRuns.push(result);
    log(`  ${result.fps} frames/s, p95 ${result.latency.p95_ms} ms, ${result.drops_per_s} drops/s`);
  }
  const live = liveRuns.find((r) => r.streams === 1) ?? null;

  // ---- 5. quiet scenes, motion gating ----
  let staticStreams: StaticStreamsResult | null = null;
  if (scenarios.has('static')) {
    log(`static: decorruptor serve, ${profile.static.streams} x ${LIVE_FPS} fps quiet scenes, motion gating on, ${profile.static.seconds} s after ${profile.static.warmupSeconds} s warm-up`);
    staticStreams = await measureStaticStreams({ ...serveSettings, ...profile.static });
    log(`  in ${staticStreams.frames_in_per_s} / inferred ${staticStreams.inferred_per_s} frames/s, p95 ${staticStreams.p95_ms} ms, ${staticStreams.drops_per_s} drops/s`);
  }

  // ---- 6. the corruption gate's saving ----
  let gate: GateCostResult | null = null;
  if (scenarios.has('gate')) {
    if (manifest.gate === undefined) warnings.push('the bundle has no corruption gate: the gate scenario was not measured');
    else {
      log(`gate: decorruptor serve, 1 x ${LIVE_FPS} fps, clean and fog:5, gate auto and off, ${profile.gate.seconds} s after ${profile.gate.warmupSeconds} s warm-up each`);
      gate = await measureGateCost({ ...serveSettings, ...profile.gate }, log);
    }
  }

  let jpegMs: number | null = null;
  if (scenarios.has('live') || scenarios.has('multi')) {
    jpegMs = await measureJpegCost({ source: LIVE_SIZE, edited: manifest.vae.inputSize, quality: options.jpegQuality, runs: profile.jpegRuns });
  }

  const rss: Record<string, number | null> = {
    ceiling_classifier: ceilings.classifier?.peak_rss_mb ?? null,
    ceiling_cm4: ceilings.cm4?.peak_rss_mb ?? null,
    ceiling_dpm20: ceilings.dpm20?.peak_rss_mb ?? null,
    ceiling_cm4_int8: ceilings.cm4_int8?.peak_rss_mb ?? null,
    replay_run_process: replay?.peak_rss_mb ?? null,
    replay_hd_run_process: replayHd?.details.peak_rss_mb ?? null,
    serve_process_static_streams: staticStreams?.details.peak_rss_mb ?? null,
  };
  for (const r of liveRuns) rss[`serve_process_${r.streams}_stream${r.streams > 1 ? 's' : ''}`] = r.peak_rss_mb;
  rss.bench_process = readPeakRssMb('self');

  const unet = (c: CeilingResult | null) => c?.stages_ms_per_batch.unet ?? Number.NaN;
  const editor = (c: CeilingResult | null) => {
    const s = c?.stages_ms_per_batch;
    return s ? s.encode + s.unet + s.decode : Number.NaN;
  };
  const partial: Omit<BenchResults, 'targets'> = {
    ceiling: {
      classifier_fps: ceilings.classifier?.fps ?? null,
      cm4_fps: cm4Fps,
      dpm20_fps: dpm20Fps,
      classifier_int8_fps: ceilings.classifier_int8?.fps ?? null,
      cm4_int8_fps: ceilings.cm4_int8?.fps ?? null,
      cm4_int8_speedup: finiteOrNull(ratio(ceilings.cm4_int8?.fps ?? Number.NaN, cm4Fps ?? Number.NaN), 2),
      batch: options.batch,
      in_flight: 2,
      details: ceilings,
    },
    limit,
    pytorch,
    ratio_dpm20_cm4: finiteOrNull(ratio(cm4Fps ?? Number.NaN, dpm20Fps ?? Number.NaN), 2),
    ratio_dpm20_cm4_unet: finiteOrNull(ratio(unet(ceilings.dpm20), unet(ceilings.cm4)), 2),
    ratio_dpm20_cm4_editor: finiteOrNull(ratio(editor(ceilings.dpm20), editor(ceilings.cm4)), 2),
    replay: {
      fps: replay?.fps ?? null,
      efficiency: finiteOrNull(ratio(replay?.fps ?? Number.NaN, cm4Fps ?? Number.NaN), 3),
      video: video === null ? null : path.relative(process.cwd(), video),
      details: replay,
    },
    live: {
      p50_ms: live?.latency.p50_ms ?? null,
      p95_ms: live?.latency.p95_ms ?? null,
      p99_ms: live?.latency.p99_ms ?? null,
      drops_per_s: live?.drops_per_s ?? null,
      latency_measured_as: 'capture (serve reads the frame off ffmpeg) -> ws client receive',
      details: live,
    },
    multi: liveRuns.map(multiPoint),
    replay_hd: replayHd,
    static_streams: staticStreams,
    gate,
    rss_mb: rss,
    jpeg_ms_per_frame: jpegMs,
    machine,
    settings: {
      quick: options.quick,
      scenarios: [...scenarios],
      bundle: options.model.bundle,
      bundle_name: `${manifest.name} ${manifest.version}`,
      editors: { cm, dpm },
      provider: ceilings.cm4?.provider ?? ceilings.classifier?.provider ?? null,
      providers_requested: options.model.providers,
      batch: options.batch,
      input_size: inputSize,
      live_source: { fps: LIVE_FPS, ...LIVE_SIZE },
      profile,
    },
    warnings,
  };
  return { ...partial, targets: evaluateTargets(partial) };
}
