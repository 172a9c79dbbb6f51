/** Targets and the human-readable report printed on stdout. */
import { machineLine } from './machine.js';
import type { BenchResults, MultiStreamPoint, TargetCheck, TargetId, TargetStatus } from './results.js';
import { STAGE_NAMES, type StageBreakdown } from './stages.js';

export const TARGETS = {
  efficiency: 0.9,
  /** Real-size replay: run fps over the lower of decode-only fps and the CM-4 ceiling. */
  replayHdEfficiency: 0.8,
  liveP95Ms: 150,
  ratioDpm20Cm4: 8,
  /** Overload: the second half's p95 may exceed the first half's by at most this factor. */
  overloadP95Trend: 1.5,
  /** CM-4 + ensemble in fp32: share of the fp32 limit (issue 21). */
  cm4LimitEfficiency: 0.75,
  /** CM-4 + ensemble, int8 over fp32 frames/s. */
  cm4Int8Speedup: 2,
  /** A clean live feed: worker time per frame, gate off over gate on (issue 20). */
  gateCleanSaving: 4,
  /** A fog:5 feed: gate on may cost at most this much less than gate off (it must still edit). */
  gateCorruptedSaving: 1.1,
} as const;

function check(id: TargetId, name: string, target: string, value: number | null, format: (v: number) => string, ok: (v: number) => boolean): TargetCheck {
  const status: TargetStatus = value === null ? 'not measured' : ok(value) ? 'met' : 'missed';
  return { id, name, target, value: value === null ? '-' : format(value), status };
}

export function evaluateTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const overload = results.multi.reduce<MultiStreamPoint | undefined>((most, p) => (most === undefined || p.streams > most.streams ? p : most), undefined);
  const checks = [
    check('efficiency', 'pipeline efficiency (replay / CM-4 ceiling)', `>= ${TARGETS.efficiency}`, results.replay.efficiency, (v) => v.toFixed(2), (v) => v >= TARGETS.efficiency),
    check('replay_hd_efficiency', 'real-size replay efficiency (run / min(decode, CM-4 ceiling))', `>= ${TARGETS.replayHdEfficiency}`, results.replay_hd?.efficiency ?? null, (v) => v.toFixed(2), (v) => v >= TARGETS.replayHdEfficiency),
    check('live_p95', 'live p95 latency, 30 fps, CM-4', `<= ${TARGETS.liveP95Ms} ms`, results.live.p95_ms, (v) => `${v} ms`, (v) => v <= TARGETS.liveP95Ms),
    check('ratio_dpm20_cm4', 'DPM-20 / CM-4 per-frame cost', `>= ${TARGETS.ratioDpm20Cm4}x`, results.ratio_dpm20_cm4, (v) => `${v.toFixed(1)}x`, (v) => v >= TARGETS.ratioDpm20Cm4),
    check('cm4_limit_efficiency', 'CM-4 + ensemble fp32: share of the fp32 limit', `>= ${TARGETS.cm4LimitEfficiency}`, results.limit?.efficiency.cm4 ?? null, (v) => v.toFixed(2), (v) => v >= TARGETS.cm4LimitEfficiency),
    check('cm4_int8_speedup', 'CM-4 + ensemble: int8 / fp32 frames/s', `>= ${TARGETS.cm4Int8Speedup}x`, results.ceiling.cm4_int8_speedup, (v) => `${v.toFixed(2)}x`, (v) => v >= TARGETS.cm4Int8Speedup),
    check('gate_clean_saving', 'clean 30 fps feed: worker time per frame, gate off / on', `>= ${TARGETS.gateCleanSaving}x`, results.gate?.clean.saving ?? null, (v) => `${v.toFixed(2)}x`, (v) => v >= TARGETS.gateCleanSaving),
    check('gate_corrupted_cost', 'fog:5 30 fps feed: worker time per frame, gate off / on', `<= ${TARGETS.gateCorruptedSaving}x (the same)`, results.gate?.corrupted.saving ?? null, (v) => `${v.toFixed(2)}x`, (v) => v <= TARGETS.gateCorruptedSaving),
    check('static_p95', `quiet scenes, ${results.static_streams?.streams ?? '-'} x 30 fps, motion gating: p95`, `<= ${TARGETS.liveP95Ms} ms`, results.static_streams?.p95_ms ?? null, (v) => `${v} ms`, (v) => v <= TARGETS.liveP95Ms),
  ];
  if (overload && overload.streams > 1) {
    const value = overload.p95_trend;
    checks.push({
      id: 'overload_bounded',
      name: `overload (${overload.streams} streams): latency bounded, drops counted`,
      target: `p95 trend <= ${TARGETS.overloadP95Trend}`,
      value: value === null ? '-' : `trend ${value.toFixed(2)}, p95 ${overload.p95_ms ?? '-'} ms, ${overload.drops_per_s} drops/s`,
      status: value === null ? 'not measured' : value <= TARGETS.overloadP95Trend ? 'met' : 'missed',
    });
  } else {
    checks.push({ id: 'overload_bounded', name: 'overload (most streams): latency bounded, drops counted', target: `p95 trend <= ${TARGETS.overloadP95Trend}`, value: '-', status: 'not measured' });
  }
  return checks;
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

const num = (v: number | null | undefined, digits = 1, unit = ''): string => (v === null || v === undefined ? '-' : `${v.toFixed(digits)}${unit}`);

function headlineRows(r: BenchResults): string[][] {
  const target = (id: TargetId) => r.targets.find((t) => t.id === id);
  const withTarget = (row: string[], t: TargetCheck | undefined) => (t ? [...row, t.target, t.status] : [...row, '', '']);
  const { ceiling, replay, live } = r;
  const B = `B=${ceiling.batch}`;
  const rows: string[][] = [['scenario', 'measure', 'result', 'target', 'status']];
  rows.push(['ceiling', `classifier only, ${B}`, num(ceiling.classifier_fps, 1, ' frames/s'), '', '']);
  rows.push(['ceiling', `CM-4 + ensemble, ${B}`, num(ceiling.cm4_fps, 1, ' frames/s'), '', '']);
  rows.push(['ceiling', `DPM-20 + ensemble, ${B}`, num(ceiling.dpm20_fps, 1, ' frames/s'), '', '']);
  if (ceiling.classifier_int8_fps !== null || ceiling.cm4_int8_fps !== null) {
    rows.push(['ceiling', `classifier only, int8, ${B}`, num(ceiling.classifier_int8_fps, 1, ' frames/s'), '', '']);
    rows.push(withTarget(['ceiling', `CM-4 + ensemble, int8, ${B}`, `${num(ceiling.cm4_int8_fps, 1, ' frames/s')} (${num(ceiling.cm4_int8_speedup, 2, 'x')} fp32)`], target('cm4_int8_speedup')));
  }
  rows.push(
    withTarget(
      ['ceiling', 'DPM-20 / CM-4 per frame', `${num(r.ratio_dpm20_cm4, 1, 'x')} (editor alone ${num(r.ratio_dpm20_cm4_editor, 1, 'x')}, UNet alone ${num(r.ratio_dpm20_cm4_unet, 1, 'x')})`],
      target('ratio_dpm20_cm4'),
    ),
  );
  rows.push(...limitRows(r, target));
  rows.push(['replay', `decorruptor run, ${replay.details ? `${replay.details.frames} frames, ` : ''}${B}`, num(replay.fps, 1, ' frames/s'), '', '']);
  rows.push(withTarget(['replay', 'efficiency = replay / CM-4 ceiling', num(replay.efficiency, 2)], target('efficiency')));
  const hd = r.replay_hd;
  if (hd) {
    rows.push(['replay_hd', `decorruptor run, ${hd.width}x${hd.height} H.264, ${hd.details.frames} frames`, `${num(hd.fps, 1, ' frames/s')} (decode alone ${num(hd.decode_fps, 1)})`, '', '']);
    rows.push(withTarget(['replay_hd', 'efficiency = run / min(decode, CM-4 ceiling)', num(hd.efficiency, 2)], target('replay_hd_efficiency')));
  }
  const d = live.details;
  rows.push(
    withTarget(
      ['live', `serve, 1 x 30 fps, CM-4${d ? `, ${d.seconds} s` : ''}`, `p50 ${num(live.p50_ms)} / p95 ${num(live.p95_ms)} / p99 ${num(live.p99_ms)} ms`],
      target('live_p95'),
    ),
  );
  rows.push(['live', 'drops / slow-client skips', `${num(live.drops_per_s, 2)} / ${num(d?.skipped_per_s, 2)} per s`, '', '']);
  const overloadTarget = target('overload_bounded');
  const most = Math.max(...r.multi.map((p) => p.streams));
  for (const p of r.multi) {
    const row = ['multi', `${p.streams} x 30 fps`, `${num(p.fps)} frames/s, p95 ${num(p.p95_ms)} ms, ${num(p.drops_per_s, 2)} drops/s`];
    rows.push(p.streams === most && p.streams > 1 ? withTarget(row, overloadTarget) : [...row, '', '']);
  }
  const quiet = r.static_streams;
  if (quiet) {
    rows.push(
      withTarget(
        ['static', `${quiet.streams} x 30 fps quiet scenes, motion gating`, `in ${num(quiet.frames_in_per_s)} / inferred ${num(quiet.inferred_per_s)} frames/s, p95 ${num(quiet.p95_ms)} ms, ${num(quiet.drops_per_s, 2)} drops/s`],
        target('static_p95'),
      ),
    );
  }
  const gate = r.gate;
  if (gate) {
    for (const [feed, id] of [[gate.clean, 'gate_clean_saving'], [gate.corrupted, 'gate_corrupted_cost']] as const) {
      const run = (g: typeof feed.gate_on) => `${num(g.worker_ms_per_frame, 2)} ms (editor on ${num(g.edited_share === null ? null : g.edited_share * 100, 0, '%')})`;
      rows.push(withTarget(['gate', `${feed.corruption ?? 'clean'} feed, worker per frame: gate on / off`, `${run(feed.gate_on)} / ${run(feed.gate_off)}: ${num(feed.saving, 2, 'x')}`], target(id)));
    }
  }
  return rows;
}

/** The limit scenario's rows: peaks, then each pipeline's share of its peak, then the PyTorch peer. */
function limitRows(r: BenchResults, target: (id: TargetId) => TargetCheck | undefined): string[][] {
  const l = r.limit;
  if (!l) return [];
  const g = (macs: number | null) => (macs === null ? '-' : `${(macs / 1e6).toFixed(1)} M MAC/frame`);
  const share = (e: number | null, limitFps: number | null) => `${num(e === null ? null : e * 100, 1, ' %')} of ${num(limitFps, 0)} frames/s`;
  const rows: string[][] = [
    ['limit', 'peak through onnxruntime (matmul)', `fp32 ${num(l.peak_fp32_gmacs)} / int8 ${num(l.peak_int8_gmacs)} G MAC/s (${l.details.int8_instructions.join(', ') || 'no int8 dot-product instructions'})`, '', ''],
    ['limit', `classifier only, ${g(l.macs_per_frame.classifier)}`, `fp32 ${share(l.efficiency.classifier, l.limit_fps.classifier)}; int8 ${share(l.efficiency.classifier_int8, l.limit_fps.classifier_int8)}`, '', ''],
  ];
  const cm4 = target('cm4_limit_efficiency');
  rows.push([
    'limit', `CM-4 + ensemble, ${g(l.macs_per_frame.cm4)}`, `fp32 ${share(l.efficiency.cm4, l.limit_fps.cm4)}; int8 ${share(l.efficiency.cm4_int8, l.limit_fps.cm4_int8)}`,
    cm4?.target ?? '', cm4?.status ?? '',
  ]);
  rows.push(['limit', `DPM-20 + ensemble, ${g(l.macs_per_frame.dpm20)}`, `fp32 ${share(l.efficiency.dpm20, l.limit_fps.dpm20)}`, '', '']);
  const p = r.pytorch;
  if (p) {
    rows.push(p.available
      ? ['limit', `PyTorch ${p.torch_version} eager, ${p.threads} threads, B=${p.batch}`, `classifier ${num(p.classifier_fps)}, CM-4 ${num(p.cm4_fps)} frames/s: ours ${num(p.ratio_classifier, 2, 'x')} / ${num(p.ratio_cm4, 2, 'x')}`, '', '']
      : ['limit', 'PyTorch eager peer', `skipped: ${p.note}`, '', '']);
  }
  return rows;
}

function stageRow(label: string, stages: StageBreakdown | Record<string, number | null>, framesPerBatch: number | null): string[] {
  const get = (k: string) => (stages as Record<string, number | null>)[k] ?? null;
  const total = get('total');
  const queue = get('queue');
  const compute = get('compute') ?? (total !== null && queue !== null ? total - queue : null);
  const perFrame = compute !== null && framesPerBatch ? compute / framesPerBatch : null;
  return [label, ...STAGE_NAMES.map((s) => num(get(s), 2)), num(queue, 2), num(compute, 2), num(perFrame, 3)];
}

function stageRows(r: BenchResults): string[][] {
  const rows: string[][] = [['ms per batch', ...STAGE_NAMES, 'queue', 'compute', 'compute/frame']];
  const d = r.ceiling.details;
  const ceilings = [['classifier', d.classifier], ['classifier int8', d.classifier_int8], ['CM-4', d.cm4], ['CM-4 int8', d.cm4_int8], ['DPM-20', d.dpm20]] as const;
  for (const [name, c] of ceilings) {
    if (c) rows.push(stageRow(`ceiling ${name} (median, B=${c.batch})`, c.stages_ms_per_batch, c.batch));
  }
  const replay = r.replay.details?.stages_ms_per_batch;
  if (replay) rows.push(stageRow(`replay, run (median, B=${num(replay.batch_size, 0)})`, replay, replay.batch_size));
  for (const point of r.multi) {
    const stages = point.details.stages_ms_per_batch;
    const label = `serve, ${point.streams} stream${point.streams > 1 ? 's' : ''} (mean, B=${num(stages.batch_size, 2)})`;
    rows.push(stageRow(label, stages, stages.batch_size));
  }
  return rows;
}

function latencyRows(r: BenchResults): string[][] {
  const rows: string[][] = [['latency per frame, ms (median)', 'worker queue', 'inference', 'batching+hand-over+JPEG+publish', 'send->client', 'capture->client']];
  for (const point of r.multi) {
    const b = point.details.breakdown_ms;
    const label = `serve, ${point.streams} stream${point.streams > 1 ? 's' : ''}`;
    rows.push([label, num(b.inference_queue, 2), num(b.inference, 2), num(b.batching_jpeg_publish, 2), num(b.network, 2), num(point.details.latency.p50_ms, 1)]);
  }
  return rows;
}

function rssLine(r: BenchResults): string {
  const parts = Object.entries(r.rss_mb).map(([k, v]) => `${k.replace(/_/g, ' ')} ${num(v, 0)}`);
  return `peak RSS (MiB): ${parts.join(', ')}`;
}

export function formatReport(r: BenchResults): string {
  const s = r.settings;
  const lines = [
    `decorruptor bench${s.quick ? ' --quick' : ''}: bundle ${String(s.bundle)} (${String(s.bundle_name)}), provider ${String(s.provider ?? '-')}, batch ${r.ceiling.batch}`,
    machineLine(r.machine),
    ...r.warnings.map((w) => `warning: ${w}`),
    '',
    formatTable(headlineRows(r)),
    '',
    'where the time goes',
    formatTable(stageRows(r)),
  ];
  if (r.multi.length > 0) {
    const lag = r.multi.map((p) => `${p.streams}: ${num(p.details.event_loop_lag_p99_ms, 1)}`).join(', ');
    lines.push('', formatTable(latencyRows(r)), `JPEG encoding of one frame message, measured apart: ${num(r.jpeg_ms_per_frame, 2)} ms; serve event-loop lag p99 (ms) by streams ${lag}`);
  }
  lines.push('', rssLine(r));
  return `${lines.join('\n')}\n`;
}
