/**
 * Scenario 2, replay: `decorruptor run` on a generated video, the real command in a child process.
 * Its JSON lines go to stdout, and the bench timestamps them as they arrive: throughput is counted
 * from the end of the first `warmupFrames` frames to the last frame, so the child's start-up (node,
 * onnxruntime sessions, ffprobe) and the first slow inference runs are left out, as they are from
 * the ceiling. The command's own summary (which includes start-up) is kept alongside.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { StageTimings } from '../model/index.js';
import { CliChild } from './cli-process.js';
import { medianStages, type StageBreakdown } from './stages.js';
import { round } from './stats.js';

export interface ReplayScenarioOptions {
  video: string;
  bundleDir: string;
  editor: string;
  batch: number;
  /** Frames before the clock starts; default two batches. */
  warmupFrames?: number;
  configFile?: string;
  /** Folder for the command's summary file. */
  workDir: string;
  /** More arguments for `run`, e.g. ['--nats', url] to replay through the workers. */
  extraArgs?: readonly string[];
  timeoutMs: number;
}

export interface ReplayScenarioResult {
  /** Steady-state frames/s, from the end of the warm-up frames to the last frame. */
  fps: number;
  frames: number;
  timed_frames: number;
  seconds: number;
  /** What `decorruptor run` itself reports: every frame over its whole run, start-up included. */
  command_fps: number | null;
  stages_ms_per_batch: StageBreakdown;
  peak_rss_mb: number | null;
}

function parseRecord(line: string): { timings: StageTimings } | null {
  try {
    const record = JSON.parse(line) as { timings?: StageTimings };
    return record.timings ? { timings: record.timings } : null;
  } catch {
    return null;
  }
}

export async function measureReplay(options: ReplayScenarioOptions): Promise<ReplayScenarioResult> {
  const summaryFile = path.resolve(options.workDir, `replay-summary-${process.pid}.json`);
  const args = [
    'run', '--source', options.video, '--out', '-', '--summary', summaryFile,
    '--bundle', options.bundleDir, '--editor', options.editor, '--batch', String(options.batch), '--log-level', 'warn',
    // Every frame edited, so that the run compares with the CM-4 ceiling (the gate scenario measures the gate).
    '--gate', 'off',
    ...(options.configFile ? ['--config', options.configFile] : []),
    ...(options.extraArgs ?? []),
  ];
  const warmupFrames = options.warmupFrames ?? 2 * options.batch;
  const child = CliChild.start(args);

  let lines = 0;
  let partial = '';
  let warmedAt: number | undefined;
  let lastAt = 0;
  const timings: StageTimings[] = [];
  child.process.stdout.on('data', (chunk: Buffer) => {
    const now = performance.now();
    const text = partial + chunk.toString();
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      if (line.trim() === '') continue;
      lines += 1;
      lastAt = now;
      if (lines === warmupFrames) warmedAt = now;
      if (lines > warmupFrames) {
        const record = parseRecord(line);
        if (record) timings.push(record.timings);
      }
    }
  });

  const timeout = setTimeout(() => void child.stop(2000), options.timeoutMs);
  const exit = await child.exited;
  clearTimeout(timeout);
  if (exit.code !== 0) throw child.failure(`exited with ${exit.code ?? exit.signal} (timeout ${options.timeoutMs} ms)`);
  if (warmedAt === undefined || lines <= warmupFrames) throw child.failure(`wrote ${lines} frames, fewer than the ${warmupFrames} warm-up frames`);

  const commandSummary = await readFile(summaryFile, 'utf8')
    .then((text) => JSON.parse(text) as { fps?: number })
    .catch(() => null);
  await rm(summaryFile, { force: true });
  const seconds = (lastAt - warmedAt) / 1000;
  const timedFrames = lines - warmupFrames;
  return {
    fps: round(timedFrames / seconds, 1),
    frames: lines,
    timed_frames: timedFrames,
    seconds: round(seconds, 2),
    command_fps: commandSummary?.fps ?? null,
    stages_ms_per_batch: medianStages(timings),
    peak_rss_mb: child.peakRssMb,
  };
}
