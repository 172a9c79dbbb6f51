/**
 * Scenario replay_hd: `decorruptor run` on real-size footage, a generated 1280x720 H.264 clip with
 * motion and texture (testsrc2 at a realistic bitrate). On such footage the pipeline may be bound
 * by decoding rather than by inference, so efficiency is measured against the lower of the two
 * limits: run fps / min(ffmpeg's decode-only fps of the same file, the CM-4 ceiling).
 */
import { spawn } from 'node:child_process';
import { ffmpegBinaries } from '../stream/ffmpeg-binaries.js';
import { BenchError } from './errors.js';
import { measureReplay, type ReplayScenarioOptions, type ReplayScenarioResult } from './replay.js';
import { finiteOrNull, ratio, round } from './stats.js';
import { ensureTestVideo } from './test-video.js';

export const HD_SIZE = { width: 1280, height: 720 } as const;
const HD_FPS = 25;

export interface ReplayHdResult {
  width: number;
  height: number;
  /** Steady-state frames/s of `decorruptor run` (as in the replay scenario). */
  fps: number;
  /** ffmpeg decoding the same file to nothing (`-f null`), frames/s, all cores. */
  decode_fps: number;
  /** fps / min(decode_fps, CM-4 ceiling fps); null without a ceiling. */
  efficiency: number | null;
  video: string;
  details: ReplayScenarioResult;
}

/** Frames/s of `ffmpeg -i video -f null -`: how fast this machine can decode the file at all. */
export async function measureDecodeFps(video: string, frames: number): Promise<number> {
  const { ffmpegPath } = ffmpegBinaries();
  const started = performance.now();
  const problem = await new Promise<string | null>((resolve) => {
    const child = spawn(ffmpegPath, ['-hide_banner', '-loglevel', 'error', '-i', video, '-map', '0:v:0', '-f', 'null', '-'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code) => resolve(code === 0 ? null : stderr.trim() || `ffmpeg exited with ${code}`));
  });
  if (problem !== null) throw new BenchError('BENCH_CHILD_FAILED', `ffmpeg could not decode ${video}: ${problem}`);
  return round(frames / ((performance.now() - started) / 1000), 1);
}

export async function measureReplayHd(
  options: Omit<ReplayScenarioOptions, 'video'> & { frames: number; cm4CeilingFps: number | null },
): Promise<ReplayHdResult> {
  const video = await ensureTestVideo({ dir: options.workDir, frames: options.frames, ...HD_SIZE, fps: HD_FPS });
  // Decode-only first, on a warm file cache, then the full pipeline on the same file.
  const decodeFps = await measureDecodeFps(video, options.frames);
  const details = await measureReplay({ ...options, video });
  const limit = Math.min(decodeFps, options.cm4CeilingFps ?? Number.NaN);
  return {
    ...HD_SIZE,
    fps: details.fps,
    decode_fps: decodeFps,
    efficiency: finiteOrNull(ratio(details.fps, limit), 3),
    video,
    details,
  };
}
