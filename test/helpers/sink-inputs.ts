/** Frames and inference results made up for sink tests: a stream, a label and a confidence are all that matter there. */
import type { FrameInference, Prediction } from '../../src/model/index.js';
import type { Frame } from '../../src/stream/index.js';

const LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

function prediction(label: string, confidence: number): Prediction {
  const index = Math.max(0, LABELS.indexOf(label));
  return { label, index, confidence, topk: [{ label, index, probability: confidence }] };
}

export interface LabeledOptions {
  source?: string;
  corruption?: string;
  /** Default: an 8x8 grey edit, as if the editor ran. */
  editedImage?: { width: number; height: number; data: Uint8Array } | null;
}

/** One processed frame of `streamId` whose adapted label is `label`. */
export function labeled(streamId: string, seq: number, label: string, confidence = 0.8, options: LabeledOptions = {}): { frame: Frame; inference: FrameInference } {
  const frame: Frame = {
    streamId,
    seq,
    ptsMs: seq * 100,
    capturedAt: performance.now(),
    width: 4,
    height: 4,
    data: new Uint8Array(4 * 4 * 3).fill(90),
    discontinuity: seq === 0,
    ...(options.corruption ? { meta: { corruption: options.corruption } } : {}),
  };
  const editedImage = options.editedImage === undefined ? { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(128) } : options.editedImage;
  // Only what the sinks read; the cast keeps these tests clear of fields they do not use.
  const inference = {
    source: prediction(options.source ?? label, confidence / 2),
    edited: editedImage ? prediction(label, confidence) : null,
    ensemble: prediction(label, confidence),
    editedImage,
    timings: {},
  } as unknown as FrameInference;
  return { frame, inference };
}
