/**
 * The replay scenario's input: ffmpeg's testsrc2 pattern encoded to an MP4 file once and reused
 * (bench/out/ is git-ignored). H.264 when this ffmpeg has libx264, else MPEG-4 part 2.
 */
import { spawn } from 'node:child_process';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { ffmpegBinaries } from '../stream/ffmpeg-binaries.js';
import { BenchError } from './errors.js';

export interface TestVideoOptions {
  dir: string;
  frames: number;
  width: number;
  height: number;
  fps: number;
}

function encode(ffmpegPath: string, output: string, options: TestVideoOptions, codecArgs: string[]): Promise<string | null> {
  const { frames, width, height, fps } = options;
  const argv = [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(frames), '-pix_fmt', 'yuv420p', ...codecArgs, '-f', 'mp4', output,
  ];
  return new Promise((resolve) => {
    const child = spawn(ffmpegPath, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code) => resolve(code === 0 ? null : stderr.trim() || `ffmpeg exited with ${code}`));
  });
}

/** Path of the test video, encoding it first if it is not there yet. */
export async function ensureTestVideo(options: TestVideoOptions): Promise<string> {
  const { dir, frames, width, height, fps } = options;
  const file = path.resolve(dir, `testsrc2-${width}x${height}-${fps}fps-${frames}f.mp4`);
  const existing = await stat(file).catch(() => null);
  if (existing && existing.size > 0) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial`;
  const { ffmpegPath } = ffmpegBinaries(); // throws FfmpegUnavailableError
  const h264Problem = await encode(ffmpegPath, partial, options, ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20']);
  const problem = h264Problem === null ? null : await encode(ffmpegPath, partial, options, ['-c:v', 'mpeg4', '-q:v', '3']);
  if (problem !== null) throw new BenchError('BENCH_VIDEO_FAILED', `ffmpeg could not write the test video ${file}: ${problem}`);
  await rename(partial, file);
  return file;
}
