/**
 * The peer beside us: the same weights in PyTorch eager (training/torch_peer.py), batch 16, 2
 * threads, no grad, timed like the ceiling. Skipped with a note when there is no python with
 * PyTorch, when the bundle's training code is not beside this build, or when the checkpoints
 * are not the bundle's weights (its parity.json decides).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

export interface TorchPeerResult {
  available: boolean;
  /** Why it was skipped, or what was checked. */
  note: string;
  torch_version: string | null;
  threads: number | null;
  batch: number | null;
  weights_match: boolean | null;
  classifier_fps: number | null;
  cm4_fps: number | null;
  /** Our fp32 ceiling frames/s over PyTorch's (above 1: we are faster). */
  ratio_classifier: number | null;
  ratio_cm4: number | null;
  details: Record<string, unknown> | null;
}

export interface TorchPeerOptions {
  bundleDir: string;
  batch: number;
  threads: number;
  rounds: number;
  batchesPerRound: number;
  warmupBatches: number;
  /** Our frames/s to compare with. */
  ours: { classifier: number | null; cm4: number | null };
  /** Default: $DECORRUPTOR_PYTHON, else the first of python3 and /usr/bin/python3 (training/README's) that has PyTorch. */
  python?: string;
  timeoutMs?: number;
}

const TRAINING_DIR = fileURLToPath(new URL('../../training/', import.meta.url));
const PEER_SCRIPT = 'torch_peer.py';
/** torch_peer.py's exit status when `import torch` fails. */
const NO_TORCH_STATUS = 3;

function skipped(note: string): TorchPeerResult {
  return { available: false, note, torch_version: null, threads: null, batch: null, weights_match: null, classifier_fps: null, cm4_fps: null, ratio_classifier: null, ratio_cm4: null, details: null };
}

function runPython(python: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(python, args, { cwd: TRAINING_DIR, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const failure = error as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({ code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0, stdout, stderr, missing: failure?.code === 'ENOENT' });
    });
  });
}

export async function measureTorchPeer(options: TorchPeerOptions): Promise<TorchPeerResult> {
  if (!existsSync(`${TRAINING_DIR}${PEER_SCRIPT}`)) return skipped(`no ${PEER_SCRIPT} beside this build (${TRAINING_DIR})`);
  const explicit = options.python ?? process.env.DECORRUPTOR_PYTHON;
  const pythons = explicit ? [explicit] : ['python3', '/usr/bin/python3'];
  const args = [
    PEER_SCRIPT, '--bundle', path.resolve(options.bundleDir), '--batch', String(options.batch), '--threads', String(options.threads),
    '--rounds', String(options.rounds), '--batches-per-round', String(options.batchesPerRound), '--warmup', String(options.warmupBatches),
  ];
  let run: Awaited<ReturnType<typeof runPython>> | undefined;
  const without: string[] = [];
  for (const python of pythons) {
    run = await runPython(python, args, options.timeoutMs ?? 900_000);
    if (!run.missing && run.code !== NO_TORCH_STATUS) break;
    without.push(run.missing ? `no ${python}` : `no PyTorch for ${python}`);
    run = undefined;
  }
  if (!run) return skipped(`${without.join(', ')} (DECORRUPTOR_PYTHON names another)`);
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let peer: Record<string, unknown>;
  try {
    peer = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return skipped(`${PEER_SCRIPT} failed (exit ${run.code}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
  const num = (key: string) => (typeof peer[key] === 'number' ? (peer[key] as number) : null);
  const versus = (ours: number | null, theirs: number | null) => (ours !== null && theirs !== null && theirs > 0 ? round(ours / theirs, 2) : null);
  const classifierFps = num('classifier_fps');
  const cm4Fps = num('cm4_fps');
  return {
    available: peer.weights_match === true,
    note: String(peer.note ?? ''),
    torch_version: typeof peer.torch_version === 'string' ? peer.torch_version : null,
    threads: num('threads'),
    batch: num('batch'),
    weights_match: typeof peer.weights_match === 'boolean' ? peer.weights_match : null,
    classifier_fps: classifierFps,
    cm4_fps: cm4Fps,
    ratio_classifier: versus(options.ours.classifier, classifierFps),
    ratio_cm4: versus(options.ours.cm4, cm4Fps),
    details: peer,
  };
}
