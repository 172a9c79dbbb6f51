/**
 * `decorruptor corrupt`: writes a corrupted copy of a video, to use as a test feed. Frames are
 * decoded by FrameSource (replay: every frame, in order, memory bounded by release()), corrupted
 * by the same stage the live pipeline uses, and encoded by src/sinks/video-encoder.ts.
 */
import { concatMap, lastValueFrom } from 'rxjs';
import { CORRUPTION_TYPES, CorruptionError, corruptionSchedule, createCorruptionStage, isCorruptionType, type Severity } from '../../corrupt/index.js';
import { encodeRawVideo, pickEncoder, type RawVideoSink } from '../../sinks/video-encoder.js';
import { FrameSource, parseSourceUrl, probe } from '../../stream/index.js';
import { intOption, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../progress.js';

const HELP = `Usage: decorruptor corrupt --in FILE --out FILE --type TYPE [options]

Writes a corrupted copy of a video: every frame of --in is decoded, corrupted and encoded to
--out, exactly one output frame per input frame, at the input's frame rate (no audio).

Options:
  --in FILE             input video (anything ffmpeg reads)
  --out FILE            output video: H.264 when this ffmpeg has libx264, else MPEG-4; yuv420p
  --type TYPE           a corruption type (${CORRUPTION_TYPES.slice(0, 3).join(', ')}, ... fog, ...), or
                        'cycle' for the 15 standard types in turn
  --severity 1-5        corruption severity (default 3)
  --period SECONDS      with --type cycle: seconds per corruption (default 2)
  --seed N              random seed of the corruptions (default 0)
  --width W, --height H output size (default: the input's); even numbers. Given one, the other
                        follows the input's aspect ratio. The picture is scaled to cover and cropped.`;

const DEFAULT_PERIOD_S = 2;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    in: { type: 'string', short: 'i' },
    out: { type: 'string', short: 'o' },
    type: { type: 'string', short: 't' },
    severity: { type: 'string', short: 's' },
    period: { type: 'string' },
    seed: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.in) throw new UsageError(`--in is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required\n\n${HELP}`);
  if (!values.type) throw new UsageError(`--type is required\n\n${HELP}`);
  const severity = (intOption(values.severity, 'severity', 1, 5) ?? 3) as Severity;
  const seed = intOption(values.seed, 'seed') ?? 0;
  const requestedWidth = evenOption(values.width, 'width');
  const requestedHeight = evenOption(values.height, 'height');
  const periodMs = periodOption(values.period, values.type);
  const schedule = scheduleFor(values.type, severity, periodMs);

  const probed = await probe(parseSourceUrl(values.in), { sourceId: 'input' });
  const { width, height } = outputSize(probed, requestedWidth, requestedHeight);
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
  const frames = await corruptAll(source, sink, createCorruptionStage({ schedule, seed }), probed.frameCount);
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

function periodOption(value: string | undefined, type: string): number {
  if (value === undefined) return DEFAULT_PERIOD_S * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--period: expected a number of seconds > 0, got "${value}"`);
  if (type.trim().toLowerCase() !== 'cycle') throw new UsageError('--period: only meaningful with --type cycle');
  return seconds * 1000;
}

function evenOption(value: string | undefined, flag: string): number | undefined {
  const n = intOption(value, flag, 2, 8192);
  if (n !== undefined && n % 2 !== 0) throw new UsageError(`--${flag}: must be even (yuv420p output), got ${n}`);
  return n;
}

/** The requested size, the other side following the aspect ratio, or the input's; rounded down to even. */
function outputSize(probed: { width: number; height: number }, width: number | undefined, height: number | undefined): { width: number; height: number } {
  const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
  if (width !== undefined && height !== undefined) return { width, height };
  if (width !== undefined) return { width, height: even((width * probed.height) / probed.width) };
  if (height !== undefined) return { width: even((height * probed.width) / probed.height), height };
  return { width: even(probed.width), height: even(probed.height) };
}
