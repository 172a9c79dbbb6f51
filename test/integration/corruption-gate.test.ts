/**
 * The shipped bundle's corruption gate looks at corruption, not at CIFAR-ness (issue 20, item 4):
 * clean pictures that look nothing like CIFAR-10 (ffmpeg's testsrc2, smptebars and mandelbrot,
 * at 32x32 and as 200x150 camera frames; CIFAR-10 test images zoomed in and colour-graded) keep
 * the editor off, while the same pictures corrupted turn it on. The gate's clean training
 * pictures include frames of these ffmpeg sources, but from 40 s on and at other sizes
 * (training/gate_data.py); these are their first seconds.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { corrupt, type CorruptionType } from '../../src/corrupt/index.js';
import { findCifar10Dir, loadCifar10 } from '../../src/data/cifar10.js';
import { InferenceEngine } from '../../src/model/index.js';
import type { Frame } from '../../src/stream/index.js';

const BUNDLE = fileURLToPath(new URL('../../models/cifar10', import.meta.url));
const exec = promisify(execFile);
const shipped = existsSync(`${BUNDLE}/gate.onnx`) ? false : 'models/cifar10 has no gate yet (training/gate.py)';

interface Picture { name: string; width: number; height: number; data: Uint8Array }

/** `count` frames of a lavfi source, one per second of it, as rgb24. */
async function lavfiFrames(source: string, width: number, height: number, count: number): Promise<Picture[]> {
  const { stdout } = await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${source}=size=${width}x${height}:rate=1`, '-frames:v', String(count), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 64 << 20 });
  const size = width * height * 3;
  return Array.from({ length: count }, (_, i) => ({ name: `${source} ${width}x${height} #${i}`, width, height, data: new Uint8Array(stdout.subarray(i * size, (i + 1) * size)) }));
}

/** A CIFAR-10 image seen differently: a centre crop upscaled (bicubic) to 128, then downscaled to 32x32: a zoom of 32 / side. */
async function zoomed(image: Uint8Array, side: number): Promise<Uint8Array> {
  const offset = (32 - side) >> 1;
  const up = await sharp(Buffer.from(image), { raw: { width: 32, height: 32, channels: 3 } })
    .extract({ left: offset, top: offset, width: side, height: side })
    .resize(128, 128, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const down = await sharp(up, { raw: { width: 128, height: 128, channels: 3 } }).resize(32, 32, { kernel: 'mitchell' }).raw().toBuffer();
  return new Uint8Array(down);
}

/** A warm film look: gains per channel, a gamma, a little less saturation. */
function graded(image: Uint8Array): Uint8Array {
  const gain = [1.08, 1.0, 0.9];
  const out = new Uint8Array(image.length);
  for (let p = 0; p < image.length; p += 3) {
    const rgb = [0, 1, 2].map((c) => ((image[p + c]! / 255) ** 0.9) * gain[c]!);
    const grey = 0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!;
    for (let c = 0; c < 3; c++) out[p + c] = Math.round(Math.min(1, Math.max(0, grey + 0.85 * (rgb[c]! - grey))) * 255);
  }
  return out;
}

const asFrames = (pictures: readonly Picture[]): Frame[] =>
  pictures.map((p, i) => ({ streamId: `p${i}`, seq: 0, ptsMs: 0, capturedAt: 0, width: p.width, height: p.height, data: p.data, discontinuity: false }));

describe('the shipped corruption gate', { skip: shipped, timeout: 120_000 }, () => {
  let engine: InferenceEngine;
  before(async () => {
    engine = await InferenceEngine.create({ bundleDir: BUNDLE, editor: 'cm', intraOpThreads: 1 });
  });
  after(() => engine?.close());

  /** The pictures the gate would edit, by name with their scores. */
  async function edited(pictures: readonly Picture[]): Promise<string[]> {
    const results = await engine.infer(asFrames(pictures));
    return results.flatMap((r, i) => (r.gate!.active ? [`${pictures[i]!.name}: ${r.gate!.score!.toFixed(2)}`] : []));
  }

  it('ffmpeg test pictures, at 32x32 and as camera frames, are clean', async () => {
    const pictures = (
      await Promise.all(['testsrc2', 'smptebars', 'mandelbrot'].flatMap((source) => [lavfiFrames(source, 32, 32, 4), lavfiFrames(source, 200, 150, 4)]))
    ).flat();
    assert.deepEqual(await edited(pictures), []);
  });

  // The gate knows the editor's training corruptions, not the 15 test ones: how often it turns the
  // editor on for each of those is measured by `decorruptor eval` (docs/eval.md). These cases only
  // show that the pictures above are not kept clean whatever happens to them.
  it('the same pictures with noise or very low contrast turn the editor on', async () => {
    const pictures = (await Promise.all(['testsrc2', 'smptebars', 'mandelbrot'].map((source) => lavfiFrames(source, 32, 32, 2)))).flat();
    const corrupted: Picture[] = [];
    for (const type of ['gaussian_noise', 'shot_noise', 'contrast'] as CorruptionType[]) {
      for (const p of pictures) corrupted.push({ ...p, name: `${p.name} ${type}:5`, data: await corrupt(p, type, 5, 1) });
    }
    const on = await edited(corrupted);
    assert.ok(on.length >= corrupted.length * 0.8, `edited ${on.length} of ${corrupted.length}`);
  });

  const dataDir = findCifar10Dir();
  it('CIFAR-10 test images zoomed in or colour-graded are clean; with noise, they are not', { skip: dataDir ? false : 'no CIFAR-10 data (decorruptor data cifar10)' }, async () => {
    const { images } = await loadCifar10(dataDir!, 'test', 200);
    const variants: Picture[] = [];
    for (const [i, image] of images.entries()) {
      variants.push({ name: `zoomed ${i}`, width: 32, height: 32, data: await zoomed(image, 24) });
      variants.push({ name: `graded ${i}`, width: 32, height: 32, data: graded(image) });
    }
    // Per image the gate is a statistical test (on clean CIFAR-10 it edits a few percent): seen
    // differently, the images must not look more corrupted than the originals do.
    const originals = (await edited(images.map((data, i) => ({ name: `original ${i}`, width: 32, height: 32, data })))).length / images.length;
    const clean = await edited(variants);
    const rate = clean.length / variants.length;
    assert.ok(rate <= originals + 0.03 && rate <= 0.08, `edited ${clean.length} of ${variants.length} (originals: ${(originals * 100).toFixed(1)}%): ${clean.slice(0, 5).join(', ')}`);
    const noisy: Picture[] = await Promise.all(images.map(async (data, i) => ({ name: `noise ${i}`, width: 32, height: 32, data: await corrupt({ width: 32, height: 32, data }, 'shot_noise', 5, i) })));
    assert.ok((await edited(noisy)).length >= noisy.length * 0.9);
  });
});
