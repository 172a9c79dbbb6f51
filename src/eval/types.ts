/** The benchmark's result, exactly as `decorruptor eval --json` writes it. */
import type { EditorNoise } from '../model/noise.js';
import type { EnsembleMode, GateMode } from '../model/types.js';

/** Top-1 accuracies as fractions in [0, 1]. */
export interface Accuracy {
  /** The classifier on the corrupted image. */
  source: number;
  /** The classifier on the edited image alone (equals `source` when the editor is off). */
  edited: number;
  /** The ensemble of both predictions, as the stream reports it (equals `source` when the editor is off). */
  ensemble: number;
}

/**
 * Pixel mean squared error against the clean image: pixels on the [0, 1] scale, averaged over
 * pixels, channels and images, compared at the clean image's 32x32. An edit restores the image
 * when `edited` < `input`.
 */
export interface PixelMse {
  /** The frame given to the engine, i.e. the corrupted image (0 for clean). */
  input: number;
  /**
   * The editor's output (`FrameInference.editedImage`); null without editor. An edited image of
   * another size than 32x32 (a VAE with another input size) is resized to 32x32 first, with 'area'
   * (the bundles' default resize). Averaged over the images that have an edited image.
   */
  edited: number | null;
}

/** One condition (clean, a corruption, or their mean): the accuracies, and `mse` next to them. */
export interface ConditionResult extends Accuracy {
  mse: PixelMse;
  /** Share of the images the editor ran on (1 without a gate, 0 without an editor). */
  editRate: number;
}

export interface EvalReport {
  /** Test images per condition. */
  n: number;
  /** The corruption severity applied; null when the images were given as files (`images`). */
  severity: number | null;
  /**
   * Only for images given as files (`eval --images`): the folder they were read from, as given.
   * Its conditions were made elsewhere; none was corrupted by this project's code.
   */
  images?: string;
  /** Editor name from the bundle, or 'none'. */
  editor: string;
  /**
   * The editor's noise: the bundle's pinned seed for every image ('bundle'), or each image its
   * own, derived from the base seed and the image index ('per-stream'); null without editor.
   */
  noise: EditorNoise | null;
  /**
   * The corruption gate, deciding per image (`--gate auto`) or editing every one (`off`); null when
   * the bundle has none or the editor is off.
   */
  gate: { mode: GateMode; threshold: number } | null;
  /** How the source and edited predictions were combined (model.ensemble, as the engine uses it). */
  ensemble: EnsembleMode;
  /** Uncorrupted images: what adaptation may cost when there is nothing to fix. */
  clean: ConditionResult;
  /** Per corruption type, in the order evaluated. */
  corruptions: Record<string, ConditionResult>;
  /**
   * Unweighted mean over `corruptions` (clean excluded), as CIFAR-10-C tables report it; `mse.edited`
   * is null when any corruption's is.
   */
  mean: ConditionResult;
}
