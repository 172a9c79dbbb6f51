/**
 * `bundle check`: opens the bundle the way `serve` does (an InferenceEngine, its worker, the
 * runtime's own checks) once per editor, and runs one batch of synthetic frames through the
 * classifier and that editor. A bundle that passes starts and answers in the product; one that
 * fails gets every problem named (file, code), not only the first.
 */
import { InferenceEngine } from '../model/engine.js';
import { readManifest } from '../model/manifest-file.js';
import type { FrameInference } from '../model/types.js';
import type { Frame } from '../stream/frame.js';

export interface CheckOptions {
  /** Execution providers, in order of preference; default ['cpu']. */
  providers?: string[];
  intraOpThreads?: number;
  log?: (message: string) => void;
}

export interface EditorCheck {
  /** A key of the manifest's editors, or 'none' (the classifier alone). */
  editor: string;
  ok: boolean;
  /** Wall-clock ms of the one batch (first run: includes onnxruntime's warm-up). */
  batchMs: number | null;
  /** What the batch labelled the synthetic frames (a sign of life, not of accuracy). */
  labels: string[];
  problem: { code: string; message: string } | null;
}

export interface BundleCheckReport {
  dir: string;
  ok: boolean;
  editors: EditorCheck[];
}

/** Frames per check batch: two streams, two sizes, so batching and resizing both run. */
export function checkFrames(): Frame[] {
  const sizes = [{ width: 64, height: 48 }, { width: 40, height: 40 }];
  return sizes.map(({ width, height }, index) => {
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * (31 + 17 * index) + (i % 3) * 85) % 256;
    return { streamId: `check-${index}`, seq: 0, ptsMs: 0, capturedAt: performance.now(), width, height, data, discontinuity: true };
  });
}

/** What is wrong with a batch's results, or null. */
function resultProblem(results: readonly FrameInference[], engine: InferenceEngine, frames: number): string | null {
  if (results.length !== frames) return `${results.length} results for ${frames} frames`;
  const { labels, editSize } = engine.info;
  for (const [i, r] of results.entries()) {
    for (const [what, p] of [['source', r.source], ['edited', r.edited], ['ensemble', r.ensemble]] as const) {
      if (p && (!Number.isFinite(p.confidence) || !labels.includes(p.label))) return `frame ${i}: the ${what} prediction is not a valid probability (${p.label} ${p.confidence}): the model outputs NaN or infinite values`;
    }
    if (editSize) {
      const image = r.editedImage;
      if (!image || image.width !== editSize.width || image.height !== editSize.height) return `frame ${i}: no edited image of ${editSize.width}x${editSize.height}`;
    }
  }
  return null;
}

async function checkEditor(dir: string, editor: string, options: CheckOptions): Promise<EditorCheck> {
  const frames = checkFrames();
  let engine: InferenceEngine | undefined;
  try {
    engine = await InferenceEngine.create({
      bundleDir: dir,
      editor,
      providers: options.providers ?? ['cpu'],
      intraOpThreads: options.intraOpThreads,
      topK: 1,
      log: options.log,
    });
    const startedAt = performance.now();
    const results = await engine.infer(frames);
    const batchMs = performance.now() - startedAt;
    const problem = resultProblem(results, engine, frames.length);
    return {
      editor,
      ok: problem === null,
      batchMs,
      labels: results.map((r) => r.ensemble.label),
      problem: problem === null ? null : { code: 'BUNDLE_OUTPUT_INVALID', message: problem },
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { editor, ok: false, batchMs: null, labels: [], problem: { code: typeof code === 'string' ? code : 'ERROR', message: (error as Error).message } };
  } finally {
    await engine?.close();
  }
}

/**
 * Checks the bundle in `dir` with each of its editors (or the classifier alone when it has none).
 * Bundle problems are reported, not thrown.
 * @throws BundleError only when the manifest itself cannot be read (nothing can be checked then).
 */
export async function checkBundle(dir: string, options: CheckOptions = {}): Promise<BundleCheckReport> {
  const manifest = await readManifest(dir);
  const names = Object.keys(manifest.editors);
  const editors: EditorCheck[] = [];
  // One engine at a time: each holds its own sessions, and a check should not need the memory of all.
  for (const editor of names.length > 0 ? names : ['none']) editors.push(await checkEditor(dir, editor, options));
  return { dir, ok: editors.every((e) => e.ok), editors };
}
