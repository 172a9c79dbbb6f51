/**
 * From logits to the three per-frame predictions: source-only, edited-only and their ensemble.
 *
 * Ensemble modes (after DDA's ensemble, which Decorruptor's evaluation uses):
 * - 'learned':    a weighted average, the weight of the edit per frame from the editor's fitted
 *                 rule (the gate's score, each prediction's confidence and entropy, agreement);
 * - 'sum':        average of the two softmax distributions (equal weights);
 * - 'confidence': keep the distribution with the higher top probability;
 * - 'entropy':    keep the distribution with the lower entropy.
 * Ties in the selecting modes keep the source prediction: the edit has to be strictly better.
 */
import type { EnsembleRule, EnsembleRuleFeature } from './manifest.js';
import type { ClassScore, EnsembleMode, FrameInference, Prediction } from './types.js';

/** Numerically stable softmax of logits[offset .. offset + k). */
export function softmax(logits: ArrayLike<number>, offset = 0, k = logits.length - offset): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < k; i++) max = Math.max(max, logits[offset + i]);
  const out = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    out[i] = Math.exp(logits[offset + i] - max);
    sum += out[i];
  }
  for (let i = 0; i < k; i++) out[i] /= sum;
  return out;
}

/** Shannon entropy in nats. */
export function entropy(probs: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > 0) h -= probs[i] * Math.log(probs[i]);
  return h;
}

function maxOf(probs: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < probs.length; i++) m = Math.max(m, probs[i]);
  return m;
}

/** The k most probable classes, most probable first (ties: lower index first). */
export function topK(probs: ArrayLike<number>, labels: readonly string[], k: number): ClassScore[] {
  const indices = Array.from({ length: probs.length }, (_, i) => i);
  indices.sort((a, b) => probs[b] - probs[a] || a - b);
  return indices.slice(0, Math.max(1, Math.min(k, probs.length))).map((index) => ({
    label: labels[index] ?? String(index),
    index,
    probability: probs[index],
  }));
}

export function toPrediction(probs: ArrayLike<number>, labels: readonly string[], k: number): Prediction {
  const topk = topK(probs, labels, k);
  return { label: topk[0].label, index: topk[0].index, confidence: topk[0].probability, topk };
}

/** The edit's weight in [0, 1] under a fitted rule, from the two distributions and the gate's score. */
export function learnedWeight(rule: EnsembleRule, source: Float64Array, edited: Float64Array, gateScore: number): number {
  const argMax = (p: Float64Array) => p.indexOf(maxOf(p));
  const normalisedEntropy = (p: Float64Array) => entropy(p) / Math.log(p.length);
  const value: Record<EnsembleRuleFeature, () => number> = {
    bias: () => 1,
    gate: () => gateScore,
    sourceConfidence: () => maxOf(source),
    editedConfidence: () => maxOf(edited),
    sourceEntropy: () => normalisedEntropy(source),
    editedEntropy: () => normalisedEntropy(edited),
    agreement: () => (argMax(source) === argMax(edited) ? 1 : 0),
  };
  const z = rule.features.reduce((sum, feature, i) => sum + rule.weights[i]! * value[feature](), 0);
  return 1 / (1 + Math.exp(-z));
}

/** What the 'learned' mode needs besides the two distributions. */
export interface LearnedContext {
  rule: EnsembleRule;
  gateScore: number;
}

/** Combines the source and edited class distributions per `mode` ('learned' needs its context). */
export function combine(source: Float64Array, edited: Float64Array, mode: EnsembleMode, learned?: LearnedContext): Float64Array {
  switch (mode) {
    case 'learned': {
      if (!learned) throw new RangeError("the 'learned' ensemble needs a rule and a gate score");
      const w = learnedWeight(learned.rule, source, edited, learned.gateScore);
      return source.map((p, i) => (1 - w) * p + w * edited[i]!);
    }
    case 'sum': {
      const out = new Float64Array(source.length);
      let total = 0;
      for (let i = 0; i < out.length; i++) total += out[i] = source[i] + edited[i];
      for (let i = 0; i < out.length; i++) out[i] /= total;
      return out;
    }
    case 'confidence':
      return maxOf(edited) > maxOf(source) ? edited : source;
    case 'entropy':
      return entropy(edited) < entropy(source) ? edited : source;
    default:
      throw new RangeError(`unknown ensemble mode ${String(mode)}`);
  }
}

/** The prediction a frame answers with: the stream's smoothed one when the flow smoothed it, else the ensemble's. */
export function reportedPrediction(inference: Pick<FrameInference, 'ensemble' | 'smoothed'>): Prediction {
  return inference.smoothed ?? inference.ensemble;
}

export type FramePredictions = Pick<FrameInference, 'source' | 'edited' | 'ensemble' | 'distribution'>;

/** Predictions of one frame from its logits; `editedLogits` null when the editor is off. */
export function predictFrame(
  sourceLogits: ArrayLike<number>,
  editedLogits: ArrayLike<number> | null,
  labels: readonly string[],
  mode: EnsembleMode,
  k: number,
  learned?: LearnedContext,
): FramePredictions {
  const sourceProbs = softmax(sourceLogits);
  const source = toPrediction(sourceProbs, labels, k);
  if (!editedLogits) return { source, edited: null, ensemble: source, distribution: Float32Array.from(sourceProbs) };
  const editedProbs = softmax(editedLogits);
  const combined = combine(sourceProbs, editedProbs, mode, learned);
  return {
    source,
    edited: toPrediction(editedProbs, labels, k),
    ensemble: toPrediction(combined, labels, k),
    distribution: Float32Array.from(combined),
  };
}
