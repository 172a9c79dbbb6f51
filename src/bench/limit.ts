/**
 * The limit scenario: how far each pipeline runs from what this machine can do. Multiply-adds per
 * frame come from the bundle's graphs (macs.ts), the peak from one large matrix product through
 * onnxruntime (peak.ts), and
 *   efficiency = frames/s x multiply-adds per frame / peak multiply-adds per second,
 * with the frames/s of the ceiling scenario measured in the same run. int8 pipelines are set
 * against the int8 peak, although the parts they keep in fp32 (normalisation, activations,
 * attention) could never reach it: their efficiency is a lower bound.
 */
import path from 'node:path';
import type { EditorSpec, Manifest } from '../model/index.js';
import type { ModelMacs } from './macs.js';
import { runLimitProbe } from './limit-probe.js';
import type { PeakResult } from './peak.js';
import { round } from './stats.js';
import { int8DotInstructions } from '../model/cpu-features.js';

export interface PipelineFps {
  classifier: number | null;
  cm4: number | null;
  dpm20: number | null;
  classifier_int8: number | null;
  cm4_int8: number | null;
}

export interface LimitResult {
  peak_fp32_gmacs: number;
  peak_int8_gmacs: number;
  macs_per_frame: { classifier: number; cm4: number; dpm20: number | null };
  /** Share of the peak each pipeline reached (fp32 against the fp32 peak, int8 against the int8 peak). */
  efficiency: Record<keyof PipelineFps, number | null>;
  /** Frames/s at 100 % of the peak. */
  limit_fps: { classifier: number; cm4: number; dpm20: number | null; classifier_int8: number; cm4_int8: number };
  details: {
    /** Multiply-adds of one sample through each model file (relative to the bundle). */
    models: Record<string, ModelMacs>;
    /** UNet sample-evaluations per frame: a consistency step is one, a guided DDIM step two. */
    unet_evaluations: { cm4: number; dpm20: number | null };
    /** The better of the measurements before and after the ceilings; round_gmacs holds both runs' rounds. */
    peak: PeakPair;
    /** The CPU's int8 dot-product instructions (/proc/cpuinfo flags); empty: none known. */
    int8_instructions: string[];
  };
}

export interface LimitOptions {
  bundleDir: string;
  manifest: Manifest;
  cm: string;
  dpm: string | null;
  fps: PipelineFps;
  intraOpThreads?: number;
  /** Peaks measured before the ceilings (measurePeaks); the better of those and this run's is kept. */
  earlierPeaks?: PeakPair;
}

export type PeakPair = { fp32: PeakResult; int8: PeakResult };

/** The fp32 and int8 peaks alone, e.g. before the ceilings: a busy moment then or later is less likely to decide the peak. */
export async function measurePeaks(intraOpThreads?: number): Promise<PeakPair> {
  return (await runLimitProbe({ files: [], intraOpThreads })).peak;
}

/** The better of two peak measurements, with the rounds of both. */
function better(a: PeakResult, b: PeakResult | undefined): PeakResult {
  if (!b) return a;
  const best = a.gmacs >= b.gmacs ? a : b;
  return { ...best, round_gmacs: [...b.round_gmacs, ...a.round_gmacs] };
}

function unetEvaluations(editor: EditorSpec): number {
  return editor.kind === 'consistency' ? editor.steps : 2 * editor.steps;
}

/** Multiply-adds per frame of each pipeline from those of its models. */
export function pipelineMacs(manifest: Manifest, cm: string, dpm: string | null, macsOf: (file: string) => number): LimitResult['macs_per_frame'] & { unet: LimitResult['details']['unet_evaluations'] } {
  const classifier = macsOf(manifest.classifier.file);
  // The ensemble classifies the frame and its edit: the classifier runs twice.
  const shared = 2 * classifier + macsOf(manifest.vae.encoder) + macsOf(manifest.vae.decoder);
  const cmEditor = manifest.editors[cm];
  const dpmEditor = dpm === null ? null : manifest.editors[dpm];
  const unet = { cm4: unetEvaluations(cmEditor), dpm20: dpmEditor ? unetEvaluations(dpmEditor) : null };
  // An editor with a detail residual decodes the input's own latent too.
  const residualDecode = (editor: EditorSpec) => (editor.detailResidual ? macsOf(manifest.vae.decoder) : 0);
  return {
    classifier,
    cm4: shared + residualDecode(cmEditor) + unet.cm4 * macsOf(cmEditor.unet.file),
    dpm20: dpmEditor && unet.dpm20 !== null ? shared + residualDecode(dpmEditor) + unet.dpm20 * macsOf(dpmEditor.unet.file) : null,
    unet,
  };
}

/** fps x macs / peak, rounded; null when either side is missing. */
export function efficiency(fps: number | null, macsPerFrame: number | null, peakGmacs: number): number | null {
  if (fps === null || macsPerFrame === null || !(peakGmacs > 0)) return null;
  return round((fps * macsPerFrame) / (peakGmacs * 1e9), 3);
}

export async function measureLimit(options: LimitOptions): Promise<LimitResult> {
  const { manifest, cm, dpm, fps } = options;
  const editors = [manifest.editors[cm], ...(dpm === null ? [] : [manifest.editors[dpm]])];
  const files = [...new Set([manifest.classifier.file, manifest.vae.encoder, manifest.vae.decoder, ...editors.map((e) => e.unet.file)])];
  const probe = await runLimitProbe({ files: files.map((f) => path.resolve(options.bundleDir, f)), intraOpThreads: options.intraOpThreads });
  const models: Record<string, ModelMacs> = {};
  files.forEach((file) => (models[file] = probe.macs[path.resolve(options.bundleDir, file)]));
  const { unet, ...macs } = pipelineMacs(manifest, cm, dpm, (file) => models[file].macs);
  const peak = { fp32: better(probe.peak.fp32, options.earlierPeaks?.fp32), int8: better(probe.peak.int8, options.earlierPeaks?.int8) };
  const fp32 = peak.fp32.gmacs;
  const int8 = peak.int8.gmacs;
  const limitFps = (m: number, peak: number) => round((peak * 1e9) / m, 1);
  return {
    peak_fp32_gmacs: fp32,
    peak_int8_gmacs: int8,
    macs_per_frame: macs,
    efficiency: {
      classifier: efficiency(fps.classifier, macs.classifier, fp32),
      cm4: efficiency(fps.cm4, macs.cm4, fp32),
      dpm20: efficiency(fps.dpm20, macs.dpm20, fp32),
      classifier_int8: efficiency(fps.classifier_int8, macs.classifier, int8),
      cm4_int8: efficiency(fps.cm4_int8, macs.cm4, int8),
    },
    limit_fps: {
      classifier: limitFps(macs.classifier, fp32),
      cm4: limitFps(macs.cm4, fp32),
      dpm20: macs.dpm20 === null ? null : limitFps(macs.dpm20, fp32),
      classifier_int8: limitFps(macs.classifier, int8),
      cm4_int8: limitFps(macs.cm4, int8),
    },
    details: { models, unet_evaluations: unet, peak, int8_instructions: int8DotInstructions() },
  };
}
