/**
 * `decorruptor corrupt`: writes a corrupted copy of a video, to use as a test feed. Frames are
 * decoded by FrameSource (replay: every frame, in order, memory bounded by release()), corrupted
 * by the same stage the live pipeline uses, and encoded by src/sinks/video-encoder.ts.
 */
import { concatMap, lastValueFrom } from 'rxjs';
import { CORRUPTION_TYPES, CorruptionError, corruptionSchedule, createCorruptionStage, isCorruptionType, type Severity } from '../../corrupt/index.js';
import { encodeRawVideo, pickEncoder, type RawVideoSink } from '../../sinks/video-encoder.js';
import { FrameSource, parseSourceUrl, probe } from '../../stream/index.js';
import { UsageError } from '../errors.js';
import { defineCommand, integerValue } from '../options.js';
import { createProgress } from '../progress.js';

const DEFAULT_PERIOD_S = 2;

/** An even frame side in [2, 8192] (the output is yuv420p). */
function evenSide(text: string, flag: string): number {
  const n = integerValue(text, flag, 2, 8192);
  if (n % 2 !== 0) throw new UsageError(`${flag}: must be even (yuv420p output), got ${n}`);
  return n;
}

function seconds(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new UsageError(`${flag}: expected a number of seconds > 0, got "${text}"`);
  return value;
}

export const COMMAND = defineCommand({
  name: 'corrupt',
  usage: 'decorruptor corrupt --in FILE --out FILE --type TYPE [options]',
  about: `Writes a corrupted copy of a video: every frame of --in is decoded, corrupted and encoded to
--out, exactly one output frame per input frame, at the input's frame rate (no audio).`,
  options: {
    in: { type: 'string', short: 'i', value: 'FILE', required: true, description: 'input video (anything ffmpeg reads)' },
    out: { type: 'string', short: 'o', value: 'FILE', required: true, description: 'output video: H.264 when this ffmpeg has libx264, else MPEG-4; yuv420p' },
    type: {
      type: 'string',
      short: 't',
      value: 'TYPE',
      required: true,
      description: `a corruption type (${CORRUPTION_TYPES.slice(0, 3).join(', ')}, ... fog, ...), or 'cycle' for the 15 standard types in turn`,
    },
    severity: { type: 'integer', short: 's', value: '1-5', min: 1, max: 5, default: 3, description: 'corruption severity' },
    period: { type: 'string', value: 'SECONDS', description: 'with --type cycle: seconds per corruption', defaultText: String(DEFAULT_PERIOD_S), parse: seconds },
    seed: { type: 'integer', default: 0, description: 'random seed of the corruptions' },
    width: {
      type: 'string',
      value: 'W',
      description: "output width, even (given only one of --width and --height, the other follows the input's aspect ratio; the picture is scaled to cover and cropped)",
      defaultText: "the input's",
      parse: evenSide,
    },
    height: { type: 'string', value: 'H', description: 'output height, even', defaultText: "the input's", parse: evenSide },
  },
});

export async function run(argv: string[]): Promise<number> {
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const severity = values.severity as Severity;
  if (values.period !== undefined && values.type.trim().toLowerCase() !== 'cycle') throw new UsageError('--period: only meaningful with --type cycle');
  const schedule = scheduleFor(values.type, severity, (values.period ?? DEFAULT_PERIOD_S) * 1000);

  const probed = await probe(parseSourceUrl(values.in), { sourceId: 'input' });
  const { width, height } = outputSize(probed, values.width, values.height);
  let fps = probed.fps;
  if (fps === undefined) {
    fps = 25;
    process.stderr.write(`corrupt: ${values.in} does not declare a frame rate; writing ${fps} fps\n`);
  }

  const source = await FrameSource.create({ id: 'input', url: values.in, mode: 'replay', width, height, fit: 'crop' });
  const codec = await pickEncoder(['libx264', 'mpeg4']);
  const sink = await encodeRawVideo({
    output: values.out,
    width,
    height,
    fps,
    codec,
    pixelFormat: 'yuv420p',
    outputArgs: codec === 'libx264' ? ['-crf', '18', '-preset', 'veryfast'] : ['-q:v', '3'],
  });
  const frames = await corruptAll(source, sink, createCorruptionStage({ schedule, seed: values.seed }), probed.frameCount);
  process.stderr.write(`corrupt: wrote ${frames} frames (${width}x${height}, ${codec}) to ${values.out}\n`);
  return 0;
}

/** Streams every frame through the stage into the sink; resolves with the frame count. */
async function corruptAll(
  source: FrameSource,
  sink: RawVideoSink,
  stage: ReturnType<typeof createCorruptionStage>,
  expectedFrames: number | undefined,
): Promise<number> {
  const progress = createProgress({ label: 'corrupt', total: expectedFrames });
  const finished = lastValueFrom(
    source.frames$.pipe(
      concatMap(async (frame) => {
        await sink.write((await stage(frame)).data);
        source.release(); // the frame is done with: let ffmpeg decode the next one
        progress.tick();
      }),
    ),
    { defaultValue: undefined },
  );
  source.start();
  try {
    await finished;
    progress.done();
    if (sink.frames === 0) throw new UsageError('--in: the input has no video frames');
    await sink.close();
    return sink.frames;
  } catch (error) {
    progress.clear();
    await source.stop();
    await sink.abort();
    throw error;
  }
}

function scheduleFor(type: string, severity: Severity, periodMs: number) {
  const name = type.trim().toLowerCase().replace(/-/g, '_');
  try {
    if (name === 'cycle') return corruptionSchedule('cycle', periodMs, { severity });
    if (!isCorruptionType(name)) throw new CorruptionError(`unknown corruption type '${type}'; known: cycle, ${CORRUPTION_TYPES.join(', ')} (and the extras)`, 'type');
    // One type: a single segment for the whole clip, so e.g. fog keeps one pattern throughout.
    return corruptionSchedule([`${name}:${severity}`], Number.MAX_SAFE_INTEGER);
  } catch (error) {
    if (error instanceof CorruptionError) throw new UsageError(`--type: ${error.message}`);
    throw error;
  }
}

/** The requested size, the other side following the aspect ratio, or the input's; rounded down to even. */
function outputSize(probed: { width: number; height: number }, width: number | undefined, height: number | undefined): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) return { width, height: even((width * probed.height) / probed.width) };
  if (height !== undefined) return { width: even((height * probed.width) / probed.height), height };
  return { width: even(probed.width), height: even(probed.height) };
}
