/**
 * What the annotated outputs (the annotated video of `run`, the recordings of `serve`) share: a
 * queue of processed frames that renders each with its labels and feeds one ffmpeg encode, in
 * H.264 yuv420p (which every player takes), at the stream's own frame rate when its frames are a
 * fixed-rate sequence (a replayed file: exactly one output frame per frame), or timed by their
 * arrival when they are not (a live stream keeps only the frames it processed).
 */
import type { FrameInference } from '../model/index.js';
import type { Frame } from '../stream/index.js';
import { annotateFrame, type AnnotateLayout } from './annotate-frame.js';
import { FrameEncodeQueue, type DropReason } from './frame-encode-queue.js';
import { encodeRawVideo, frameSyncOption, pickEncoder, type EncodeOptions } from './video-encoder.js';

/** How a stream's frames are timed. */
export interface StreamTiming {
  /** A fixed-rate sequence at this rate (replay). Undefined: live, each frame stamped when it is written. */
  fps?: number | undefined;
}

/** What a role tells the sinks about its streams, asked when a sink starts encoding one. */
export type StreamTimings = (streamId: string) => StreamTiming;

/** libx264 where the build has it (Debian's and the bundled static ffmpeg both do), else MPEG-4 part 2. */
const ENCODERS = ['libx264', 'mpeg4'];

/** The rate a live encode's raw input is declared at; the wall-clock stamps replace it. */
const NOMINAL_FPS = 25;

export async function h264EncodeOptions(
  output: string,
  size: { width: number; height: number },
  timing: StreamTiming,
  muxerArgs: readonly string[] = [],
): Promise<EncodeOptions> {
  const [codec, sync] = await Promise.all([pickEncoder(ENCODERS), frameSyncOption()]);
  const live = timing.fps === undefined;
  return {
    output,
    width: size.width,
    height: size.height,
    fps: timing.fps ?? NOMINAL_FPS,
    codec,
    pixelFormat: 'yuv420p',
    inputArgs: live ? ['-use_wallclock_as_timestamps', '1'] : [],
    outputArgs: [
      // yuv420p needs even sides: an odd decode size gets one black row or column.
      '-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      ...(codec === 'libx264' ? ['-preset', 'veryfast', '-crf', '20'] : ['-q:v', '3']),
      // passthrough: one output frame per input frame, none duplicated or dropped.
      sync, live ? 'vfr' : 'passthrough',
      ...muxerArgs,
    ],
  };
}

export interface AnnotatedItem {
  frame: Frame;
  inference: FrameInference;
}

export interface AnnotatedQueueOptions {
  /** The output file, or the segment muxer's pattern. */
  output: string;
  layout: AnnotateLayout;
  /** Asked when the first frame comes (the role's source is open by then). */
  timing: () => StreamTiming;
  /** Muxer options after the encoder's (-movflags, -f segment...). */
  muxerArgs: readonly string[];
  capacity: number;
  onFailure(error: Error): void;
  onDropped?(count: number, reason: DropReason): void;
}

/** A queue that annotates each frame and encodes it to `output`, started with the first frame. */
export function annotatedQueue(options: AnnotatedQueueOptions): FrameEncodeQueue<AnnotatedItem> {
  const { output, layout, timing, muxerArgs, capacity, onFailure, onDropped } = options;
  return new FrameEncodeQueue<AnnotatedItem>({
    capacity,
    render: ({ frame, inference }) => annotateFrame(frame, inference, layout),
    open: async (size) => encodeRawVideo(await h264EncodeOptions(output, size, timing(), muxerArgs)),
    onFailure,
    ...(onDropped ? { onDropped } : {}),
  });
}
