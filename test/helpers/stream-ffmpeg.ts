import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { filter, firstValueFrom, timeout, type Observable } from 'rxjs';
import type { SourceState, SourceStateEvent } from '../../src/stream/source.js';

const run = promisify(execFile);

/** Encodes `frames` frames of testsrc2 into an MPEG-4 file (tiny and fast to make). */
export async function makeTestClip(
  path: string,
  { frames = 48, width = 64, height = 48, fps = 24 }: { frames?: number; width?: number; height?: number; fps?: number } = {},
): Promise<string> {
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    '-frames:v', String(frames), '-c:v', 'mpeg4', '-q:v', '5', '-pix_fmt', 'yuv420p',
    path,
  ]);
  return path;
}

/** ffmpeg's own decode of a file to raw rgb24 bytes, for comparing frame contents. */
export async function decodeWithFfmpeg(argv: string[]): Promise<Buffer> {
  const { stdout } = await run('ffmpeg', argv, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** True while a process with this pid exists (a reaped child is gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Pids of ffmpeg processes whose parent is this test process (Linux /proc). */
export function ffmpegChildren(): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join('/proc', entry, 'stat'), 'utf8');
      const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (command === 'ffmpeg' && parent === process.pid) children.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return children;
}

/** The next state event of the given kind (or the current one: states$ replays the latest). */
export function nextState<S extends SourceState>(
  states$: Observable<SourceStateEvent>,
  state: S,
  timeoutMs = 15_000,
): Promise<Extract<SourceStateEvent, { state: S }>> {
  return firstValueFrom(
    states$.pipe(
      filter((event): event is Extract<SourceStateEvent, { state: S }> => event.state === state),
      timeout({ first: timeoutMs, with: () => { throw new Error(`no '${state}' state within ${timeoutMs} ms`); } }),
    ),
  );
}
