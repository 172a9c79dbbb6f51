import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { LiveResult } from '../../src/bench/live.js';
import { evaluateTargets, formatReport, formatTable } from '../../src/bench/report.js';
import { shapeProblems, type BenchResults, type MultiStreamPoint } from '../../src/bench/results.js';

const MACHINE = {
  cpu_model: 'Test CPU',
  cores: 2,
  memory_gb: 8,
  node: 'v20.0.0',
  onnxruntime: '1.30.0',
  os: 'Linux 6 x64',
  date: '2026-01-01T00:00:00.000Z',
  load_average_at_start: [0.1, 0.2, 0.3] as [number, number, number],
};

function liveResult(streams: number, p95: number, trend: number, drops: number): LiveResult {
  return {
    streams,
    source: 'lavfi:testsrc2=size=320x240:rate=30',
    seconds: 10,
    fps: 30 * streams,
    inferred_per_s: 30 * streams,
    reused_per_s: 0,
    edited_share: 1,
    worker_ms_per_frame: 7,
    client_fps: 30 * streams,
    latency: { p50_ms: p95 / 2, p95_ms: p95, p99_ms: p95 * 1.2, max_ms: p95 * 1.5, samples: 300 },
    send_latency: { p50_ms: p95 / 2 - 1, p95_ms: p95 - 1, p99_ms: p95, max_ms: p95, samples: 300 },
    drops_per_s: drops,
    skipped_per_s: 0,
    p95_trend: trend,
    breakdown_ms: { inference_queue: 0.5, inference: 20, batching_jpeg_publish: 15, network: 0.4 },
    stages_ms_per_batch: { preprocess: 1, classify: 1, encode: 2, unet: 15, decode: 2, ensemble: 0.2, queue: 0.5, total: 21, batch_size: streams },
    event_loop_lag_p99_ms: 12,
    peak_rss_mb: 300,
  };
}

function point(live: LiveResult): MultiStreamPoint {
  return {
    streams: live.streams,
    fps: live.fps,
    p95_ms: live.latency.p95_ms,
    drops_per_s: live.drops_per_s,
    p99_ms: live.latency.p99_ms,
    skipped_per_s: live.skipped_per_s,
    p95_trend: live.p95_trend,
    details: live,
  };
}

function results(overrides: Partial<BenchResults> = {}): BenchResults {
  const base: Omit<BenchResults, 'targets'> = {
    ceiling: {
      classifier_fps: null, cm4_fps: null, dpm20_fps: null, classifier_int8_fps: null, cm4_int8_fps: null, cm4_int8_speedup: null, batch: 16, in_flight: 2,
      details: { classifier: null, cm4: null, dpm20: null, classifier_int8: null, cm4_int8: null },
    },
    limit: null,
    pytorch: null,
    ratio_dpm20_cm4: null,
    ratio_dpm20_cm4_unet: null,
    ratio_dpm20_cm4_editor: null,
    replay: { fps: null, efficiency: null, video: null, details: null },
    live: { p50_ms: null, p95_ms: null, p99_ms: null, drops_per_s: null, latency_measured_as: 'capture (serve reads the frame off ffmpeg) -> ws client receive', details: null },
    multi: [],
    replay_hd: null,
    static_streams: null,
    gate: null,
    rss_mb: { bench_process: 120 },
    jpeg_ms_per_frame: null,
    machine: MACHINE,
    settings: { quick: true, bundle: 'fixture', bundle_name: 'fixture 0.0.1' },
    warnings: [],
    ...overrides,
  };
  return { ...base, targets: evaluateTargets(base), ...(overrides.targets ? { targets: overrides.targets } : {}) };
}

describe('results shape', () => {
  it('a run with every scenario skipped still has every required key (nulls)', () => {
    const r = results();
    assert.deepEqual(shapeProblems(JSON.parse(JSON.stringify(r))), []);
  });

  it('names what is missing', () => {
    const broken = JSON.parse(JSON.stringify(results())) as Record<string, Record<string, unknown>>;
    delete broken.live.p95_ms;
    delete broken.machine.cores;
    delete broken.rss_mb;
    broken.multi = [{ streams: 2 }] as never;
    assert.deepEqual(shapeProblems(broken).sort(), [
      'live.p95_ms is missing',
      'machine.cores is missing',
      'multi[0].drops_per_s is missing',
      'multi[0].fps is missing',
      'multi[0].p95_ms is missing',
      'rss_mb is missing',
    ]);
    assert.deepEqual(shapeProblems(null), ['results is not an object']);
  });

  it('bench/results.json, when present, has the documented shape', () => {
    const file = new URL('../../bench/results.json', import.meta.url);
    if (!existsSync(file)) return;
    assert.deepEqual(shapeProblems(JSON.parse(readFileSync(file, 'utf8'))), []);
  });
});

describe('targets', () => {
  it('judges each target, and "not measured" when its scenario did not run', () => {
    const statuses = (r: BenchResults) => Object.fromEntries(r.targets.map((t) => [t.id, t.status]));
    assert.deepEqual(statuses(results()), {
      efficiency: 'not measured', replay_hd_efficiency: 'not measured', live_p95: 'not measured', ratio_dpm20_cm4: 'not measured', overload_bounded: 'not measured', static_p95: 'not measured',
      cm4_limit_efficiency: 'not measured', cm4_int8_speedup: 'not measured', gate_clean_saving: 'not measured', gate_corrupted_cost: 'not measured',
    });

    const live1 = liveResult(1, 40, 1.0, 0);
    const r = results({
      replay: { fps: 95, efficiency: 0.95, video: 'v.mp4', details: null },
      ratio_dpm20_cm4: 7.5,
      live: { ...results().live, p95_ms: 40, details: live1 },
      multi: [point(live1), point(liveResult(4, 400, 2.5, 60))],
    });
    assert.deepEqual(statuses(r), {
      efficiency: 'met', replay_hd_efficiency: 'not measured', live_p95: 'met', ratio_dpm20_cm4: 'missed', overload_bounded: 'missed', static_p95: 'not measured',
      cm4_limit_efficiency: 'not measured', cm4_int8_speedup: 'not measured', gate_clean_saving: 'not measured', gate_corrupted_cost: 'not measured',
    });
    assert.match(r.targets.find((t) => t.id === 'overload_bounded')!.value, /60 drops\/s/);
  });
});

describe('gate targets', () => {
  const run = (workerMs: number, editedShare: number) => {
    const details = { ...liveResult(1, 40, 1, 0), worker_ms_per_frame: workerMs, edited_share: editedShare };
    return { worker_ms_per_frame: workerMs, edited_share: editedShare, fps: 30, p95_ms: 40, details };
  };
  const feed = (corruption: string | null, on: number, off: number, share: number) => ({ corruption, gate_on: run(on, share), gate_off: run(off, 1), saving: off / on });

  it('a clean feed must get 4x cheaper with the gate, a corrupted one must not get cheaper', () => {
    const status = (r: BenchResults, id: string) => r.targets.find((t) => t.id === id)!.status;
    const good = results({ gate: { clean: feed(null, 1.5, 7.5, 0), corrupted: feed('fog:5', 7.4, 7.5, 1) } });
    assert.equal(status(good, 'gate_clean_saving'), 'met');
    assert.equal(status(good, 'gate_corrupted_cost'), 'met');
    // The gate missing fog: the corrupted feed "saves" too, which means it went unedited.
    const blind = results({ gate: { clean: feed(null, 2.5, 7.5, 0.1), corrupted: feed('fog:5', 2.5, 7.5, 0.1) } });
    assert.equal(status(blind, 'gate_clean_saving'), 'missed');
    assert.equal(status(blind, 'gate_corrupted_cost'), 'missed');
    assert.match(formatReport(good), /gate\s+fog:5 feed, worker per frame: gate on \/ off\s+7\.40 ms \(editor on 100%\) \/ 7\.50 ms \(editor on 100%\): 1\.01x/);
  });
});

describe('formatReport', () => {
  it('renders a partial run without throwing, with dashes for what was not measured', () => {
    const text = formatReport(results());
    assert.match(text, /machine: Test CPU, 2 cores/);
    assert.match(text, /CM-4 \+ ensemble, B=16\s+-/);
    assert.match(text, /not measured/);
  });

  it('shows every multi-stream point and its latency breakdown', () => {
    const live1 = liveResult(1, 40, 1, 0);
    const text = formatReport(results({ live: { ...results().live, p95_ms: 40, details: live1 }, multi: [point(live1), point(liveResult(2, 80, 1.1, 3))] }));
    assert.match(text, /2 x 30 fps\s+60\.0 frames\/s, p95 80\.0 ms, 3\.00 drops\/s/);
    assert.match(text, /serve, 2 streams\s+0\.50\s+20\.00\s+15\.00\s+0\.40/);
  });

  it('shows the DPM-20 / CM-4 ratio for the whole path, the editor alone and the UNet alone', () => {
    const text = formatReport(results({ ratio_dpm20_cm4: 4.06, ratio_dpm20_cm4_editor: 6.79, ratio_dpm20_cm4_unet: 9.18 }));
    assert.match(text, /DPM-20 \/ CM-4 per frame\s+4\.1x \(editor alone 6\.8x, UNet alone 9\.2x\)/);
  });

  it('formatTable pads columns to the widest cell', () => {
    assert.equal(formatTable([['a', 'bb', 'c'], ['ccc', 'd', 'e']]), 'a    bb  c\nccc  d   e');
  });
});

describe('real-size replay and quiet scenes', () => {
  it('replay_hd efficiency is judged against the lower of decode speed and the ceiling; static p95 against the live target', () => {
    const live = liveResult(8, 90, 1, 0);
    const r = results({
      replay_hd: { width: 1280, height: 720, fps: 60, decode_fps: 70, efficiency: 60 / 70, video: 'hd.mp4', details: { fps: 60, frames: 500, timed_frames: 468, seconds: 7.8, command_fps: 55, stages_ms_per_batch: {} as never, peak_rss_mb: 250 } },
      static_streams: { streams: 8, frames_in_per_s: 240, inferred_per_s: 12, reused_per_s: 228, p95_ms: 90, drops_per_s: 0, details: live },
    });
    const hd = r.targets.find((t) => t.id === 'replay_hd_efficiency')!;
    assert.equal(hd.status, 'met');
    assert.equal(hd.value, '0.86');
    assert.equal(r.targets.find((t) => t.id === 'static_p95')!.status, 'met');
    const text = formatReport(r);
    assert.match(text, /replay_hd .*1280x720 H\.264/);
    assert.match(text, /static .*8 x 30 fps quiet scenes.*inferred 12\.0 frames\/s/);
    const slow = results({ static_streams: { streams: 8, frames_in_per_s: 240, inferred_per_s: 100, reused_per_s: 140, p95_ms: 400, drops_per_s: 3, details: live } });
    assert.equal(slow.targets.find((t) => t.id === 'static_p95')!.status, 'missed');
  });
});

describe('the limit', () => {
  const peak = (precision: 'fp32' | 'int8', gmacs: number) => ({ precision, gmacs, round_gmacs: [gmacs], size: 1024 });
  const limit = {
    peak_fp32_gmacs: 94, peak_int8_gmacs: 370,
    macs_per_frame: { classifier: 118e6, cm4: 392e6, dpm20: 1283e6 },
    efficiency: { classifier: 0.75, cm4: 0.51, dpm20: 0.45, classifier_int8: 0.4, cm4_int8: 0.3 },
    limit_fps: { classifier: 796.6, cm4: 239.8, dpm20: 73.3, classifier_int8: 3135.6, cm4_int8: 943.9 },
    details: { models: {}, unet_evaluations: { cm4: 4, dpm20: 40 }, peak: { fp32: peak('fp32', 94), int8: peak('int8', 370) }, int8_instructions: ['avx512_vnni'] },
  };

  it('judges the fp32 share of the limit and the int8 speed-up, and prints the peaks, shares and the peer', () => {
    const r = results({
      limit,
      ceiling: { ...results().ceiling, cm4_fps: 122.9, cm4_int8_fps: 200, cm4_int8_speedup: 1.63, classifier_int8_fps: 900 },
      pytorch: {
        available: true, note: 'checkpoints reproduce the bundle\'s parity outputs', torch_version: '1.13.1', threads: 2, batch: 16, weights_match: true,
        classifier_fps: 300, cm4_fps: 60, ratio_classifier: 1.99, ratio_cm4: 2.05, details: null,
      },
    });
    const status = (id: string) => r.targets.find((t) => t.id === id)!.status;
    assert.equal(status('cm4_limit_efficiency'), 'missed');
    assert.equal(status('cm4_int8_speedup'), 'missed');
    const text = formatReport(r);
    assert.match(text, /fp32 94\.0 \/ int8 370\.0 G MAC\/s \(avx512_vnni\)/);
    assert.match(text, /CM-4 \+ ensemble, 392\.0 M MAC\/frame\s+fp32 51\.0 % of 240 frames\/s; int8 30\.0 % of 944 frames\/s\s+>= 0\.75\s+missed/);
    assert.match(text, /CM-4 \+ ensemble, int8, B=16\s+200\.0 frames\/s \(1\.63x fp32\)/);
    assert.match(text, /PyTorch 1\.13\.1 eager, 2 threads, B=16\s+classifier 300\.0, CM-4 60\.0 frames\/s: ours 1\.99x \/ 2\.05x/);
  });

  it('says why the peer was skipped', () => {
    const pytorch = { available: false, note: 'PyTorch is not installed for python3', torch_version: null, threads: null, batch: null, weights_match: null, classifier_fps: null, cm4_fps: null, ratio_classifier: null, ratio_cm4: null, details: null };
    assert.match(formatReport(results({ limit, pytorch })), /PyTorch eager peer\s+skipped: PyTorch is not installed for python3/);
  });
});
