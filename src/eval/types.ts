/** The benchmark's result, exactly as `decorruptor eval --json` writes it. */

/** Top-1 accuracies as fractions in [0, 1]. */
export interface Accuracy {
  /** The classifier on the corrupted image. */
  source: number;
  /** The classifier on the edited image alone (equals `source` when the editor is off). */
  edited: number;
  /** The ensemble of both predictions, as the stream reports it (equals `source` when the editor is off). */
  ensemble: number;
}

export interface EvalReport {
  /** Test images per condition. */
  n: number;
  severity: number;
  /** Editor name from the bundle, or 'none'. */
  editor: string;
  /** Uncorrupted images: what adaptation may cost when there is nothing to fix. */
  clean: Accuracy;
  /** Per corruption type, in the order evaluated. */
  corruptions: Record<string, Accuracy>;
  /** Unweighted mean over `corruptions` (clean excluded), as CIFAR-10-C tables report it. */
  mean: Accuracy;
}
