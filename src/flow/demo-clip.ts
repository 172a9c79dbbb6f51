/**
 * The demo clip: CIFAR-10 test images written as a small lossless video (32x32 FFV1 in Matroska,
 * each image held 1/fps seconds), so the demo is decoded by ffmpeg like any other source rather
 * than being a special in-process feed. The clip is cached per (count, fps) next to a sidecar with
 * the true labels, so later starts need neither the encode nor the data set.
 *
 *   const clip = await prepareDemoClip({ dataDir });
 *   // a FrameSource on clip.file at 32x32; then per frame:
 *   frame.meta = { ...frame.meta, truth: clip.truthAt(frame.ptsMs) };
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CIFAR10_SIZE, loadCifar10 } from '../data/cifar10.js';
import { encodeRawVideo } from '../sinks/video-encoder.js';

export interface DemoClipOptions {
  /** Folder with CIFAR-10's test_batch.bin and batches.meta.txt (see findCifar10Dir). */
  dataDir: string;
  /** Test images in the clip (the first ones of test_batch.bin); default 300. */
  count?: number;
  /** Images per second; default 1. */
  fps?: number;
  /** Where the clip is cached; default data/demo (relative to the cwd). */
  cacheDir?: string;
}

export interface DemoClip {
  /** Absolute path of the .mkv file. */
  file: string;
  fps: number;
  /** Images in the clip (fewer than asked when the data set holds fewer). */
  count: number;
  /** True class name of each frame, in order. */
  truths: readonly string[];
  /**
   * The true label at a frame's ptsMs: time since the start of the current ffmpeg run, which
   * restarts at 0 whenever the clip is replayed, so the clip's position is ptsMs modulo its length.
   */
  truthAt(ptsMs: number): string;
  /** Which image a frame shows: its index from the start of the current ffmpeg run (modulo count: the clip). */
  imageAt(ptsMs: number): number;
}

/** Written next to the clip: what it holds, and checked before a cached clip is reused. */
interface Sidecar {
  count: number;
  fps: number;
  truths: string[];
}

export async function prepareDemoClip(options: DemoClipOptions): Promise<DemoClip> {
  const { dataDir, count = 300, fps = 1, cacheDir = 'data/demo' } = options;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`fps must be > 0, got ${fps}`);
  const base = path.resolve(cacheDir, `cifar10-test-${count}-${fps}fps`);
  const file = `${base}.mkv`;
  const sidecarFile = `${base}.json`;

  const cached = await readSidecar(sidecarFile, fps);
  if (cached && existsSync(file)) return demoClip(file, fps, cached.truths);

  const set = await loadCifar10(dataDir, 'test', count);
  const truths = set.targets.map((target) => set.labels[target]);
  await mkdir(path.dirname(file), { recursive: true });
  // Write under a temporary name and rename: a crash mid-encode must not leave a clip that looks cached.
  const partial = `${base}.partial-${process.pid}.mkv`;
  const sink = await encodeRawVideo({ output: partial, width: CIFAR10_SIZE, height: CIFAR10_SIZE, fps, codec: 'ffv1' });
  try {
    for (const image of set.images) await sink.write(image);
    await sink.close();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  await rename(partial, file);
  const sidecar: Sidecar = { count: truths.length, fps, truths };
  await writeFile(sidecarFile, `${JSON.stringify(sidecar)}\n`);
  return demoClip(file, fps, truths);
}

function demoClip(file: string, fps: number, truths: string[]): DemoClip {
  const frozen = Object.freeze([...truths]);
  return {
    file,
    fps,
    count: frozen.length,
    truths: frozen,
    imageAt(ptsMs: number): number {
      // A hair of slack: ptsMs = index * 1000 / fps may land a rounding error below the boundary.
      return Math.floor((Math.max(0, ptsMs) * fps) / 1000 + 1e-6);
    },
    truthAt(ptsMs: number): string {
      return frozen[this.imageAt(ptsMs) % frozen.length];
    },
  };
}

async function readSidecar(file: string, fps: number): Promise<Sidecar | null> {
  try {
    const sidecar = JSON.parse(await readFile(file, 'utf8')) as Partial<Sidecar>;
    const valid =
      sidecar.fps === fps &&
      Array.isArray(sidecar.truths) &&
      sidecar.truths.length > 0 &&
      sidecar.truths.length === sidecar.count &&
      sidecar.truths.every((t) => typeof t === 'string');
    return valid ? (sidecar as Sidecar) : null;
  } catch {
    return null; // missing or unreadable: rebuild
  }
}

/** Removes the cached clip for (count, fps), e.g. after the data set changed. */
export async function clearDemoClip(options: Pick<DemoClipOptions, 'count' | 'fps' | 'cacheDir'> = {}): Promise<void> {
  const { count = 300, fps = 1, cacheDir = 'data/demo' } = options;
  const base = path.resolve(cacheDir, `cifar10-test-${count}-${fps}fps`);
  await Promise.all([rm(`${base}.mkv`, { force: true }), rm(`${base}.json`, { force: true })]);
}
