/** One decoded video frame, as it travels from a source through the pipeline. */
export interface Frame {
  /** Id of the source this frame came from (config `sources[].id`). */
  streamId: string;
  /** Per-stream sequence number, counting every frame read from ffmpeg (dropped ones too) from 0. */
  seq: number;
  /** Presentation time in the source, milliseconds from the start of the current ffmpeg run. */
  ptsMs: number;
  /** performance.now() when the last byte of this frame was read: the start of capture-to-send latency. */
  capturedAt: number;
  width: number;
  height: number;
  /** Packed rgb24, width * height * 3 bytes. */
  data: Uint8Array;
  /** True for the first frame after a (re)start of the source: the stream is not continuous here. */
  discontinuity: boolean;
  /**
   * Whether the editor runs on this frame, decided upstream by the stream's corruption gate from
   * its previous frames' scores. Absent: the engine decides from this frame's own score.
   */
  edit?: boolean;
  /**
   * The stream's smoothed corruption score, sent with `edit` when the stream was scored less than
   * gateSmoothing.scoreEveryMs before: the gate skips this frame (a camera's condition changes
   * slowly) and the level stands in for its score.
   */
  gateLevel?: number;
  /** Optional ground truth and test-feed facts (demo and corrupted test feeds). */
  meta?: FrameMeta;
}

export interface FrameMeta {
  /** Ground-truth label, when the source knows it (e.g. the CIFAR-10 demo). */
  truth?: string;
  /** Synthetic corruption applied to this frame, e.g. "fog:4". */
  corruption?: string;
  /** The source knows that a new scene starts here (the demo's next image): label smoothing starts afresh. */
  sceneStart?: boolean;
}
