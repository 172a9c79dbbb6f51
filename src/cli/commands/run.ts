/** `decorruptor run --source FILE --out results.jsonl`: replay every frame, one JSON line each (src/runtime/replay.ts). */
import { writeFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startReplay, untilDoneOrSignal } from '../../runtime/index.js';
import { frameProgress } from '../progress.js';
import { intOption, motionGateOption, parseCommandArgs, smoothingOption } from '../args.js';
import { UsageError } from '../errors.js';
import { runThroughBroker } from './run-cluster.js';

/** Checked by the config schema (a bad one exits 2 naming it). */
type AnnotateLayout = NonNullable<Config['sinks']['annotatedVideo']>['layout'];

const HELP = `Usage: decorruptor run --source FILE --out results.jsonl [options]

Replays every frame of a video (none dropped, in order) through the editor and classifier and
writes one JSON line per frame: streamId, seq, ptsMs, label, confidence, source, edited, topk,
timings. Prints a summary at the end (on stderr; use --summary FILE for JSON).

Options:
  -s, --source FILE      video file (or any ffmpeg input, replayed)
  -o, --out FILE         JSONL output ('-' for stdout)
  -c, --config FILE      configuration file for model and batching settings
      --bundle DIR       model bundle
      --editor NAME      cm, dpm or none
      --steps N          editor steps
      --batch N          frames per batch (default: config batching.maxBatch)
      --width W --height H  decode size (default: the model's input size)
      --corrupt SPEC     corrupt frames first ('fog:4', 'cycle:3'): a test feed
      --realtime         pace at the file's frame rate instead of as fast as possible
      --annotate FILE    also write the video with the labels burned in (H.264, e.g. out.mp4):
                         one frame per input frame, at the source's rate; decoded at the
                         source's size (at most 1280 wide) unless --width/--height say otherwise
      --annotate-layout L  overlay (default) or side-by-side (original | edited)
      --summary FILE     write the summary as JSON
      --nats URL         replay through the workers on this NATS broker (docs/distributed.md)
      --smoothing S      label smoothing: off (every frame's own label), ema[:half-life ms]
                         (default ema:1000) or window[:frames]
      --motion-gate on|off  still frames carry the last result instead of being inferred
                         (default off: every frame inferred)
      --log-level L      silent, error, warn, info, debug`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    source: { type: 'string', short: 's' },
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    bundle: { type: 'string' },
    editor: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    width: { type: 'string' },
    height: { type: 'string' },
    corrupt: { type: 'string' },
    realtime: { type: 'boolean' },
    annotate: { type: 'string' },
    'annotate-layout': { type: 'string' },
    summary: { type: 'string' },
    nats: { type: 'string' },
    smoothing: { type: 'string' },
    'motion-gate': { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.source) throw new UsageError(`--source is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required\n\n${HELP}`);
  if (values['annotate-layout'] && !values.annotate) throw new UsageError('--annotate-layout needs --annotate FILE');

  const config: Config = await loadConfig({
    file: values.config,
    overrides: {
      ...(values['log-level'] ? { logLevel: values['log-level'] as Config['logLevel'] } : {}),
      smoothing: smoothingOption(values.smoothing),
      motionGate: motionGateOption(values['motion-gate']),
      model: { bundle: values.bundle, editor: values.editor, steps: intOption(values.steps, 'steps', 1, 100) },
      batching: { maxBatch: intOption(values.batch, 'batch', 1, 1024) },
      cluster: { url: values.nats },
      sources: [{ id: 'replay', url: values.source, mode: 'replay', realtime: values.realtime ?? false, corrupt: values.corrupt }],
      sinks: {
        jsonl: { path: values.out },
        ...(values.annotate ? { annotatedVideo: { path: values.annotate, layout: values['annotate-layout'] as AnnotateLayout | undefined } } : {}),
      },
    },
  });
  const decodeSize = { width: intOption(values.width, 'width', 16, 4096), height: intOption(values.height, 'height', 16, 4096) };
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  if (values.nats) return runThroughBroker(config, { log, decodeSize, source: values.source, out: values.out, summaryFile: values.summary });

  const bar = frameProgress();
  const replaying = await startReplay(config, { log, decodeSize, onOpen: bar.open, extraSinks: [bar.sink] });
  const outcome = await untilDoneOrSignal(replaying, log).finally(bar.done);
  const { result, signalled } = outcome;

  const summary = { source: values.source, out: values.out, editor: result.engine.editor, steps: result.engine.steps, ...result.summary };
  if (values.summary) await writeFile(values.summary, `${JSON.stringify(summary, null, 2)}\n`);
  process.stderr.write(
    `${summary.frames} frames in ${summary.seconds} s (${summary.fps} frames/s), editor ${summary.editor}/${summary.steps}; ` +
      `adapted label differs from source-only on ${summary.changedByEditor} frames; ` +
      `label changed ${summary.labelChanges} times` +
      (summary.labelChangesPerMinute === null ? '' : ` (${summary.labelChangesPerMinute} per minute)`) +
      (summary.accuracy ? `; accuracy source ${summary.accuracy.source}, adapted ${summary.accuracy.ensemble}` : '') +
      '\n',
  );
  if (result.sourceError) throw result.sourceError;
  return signalled || result.interrupted ? 130 : 0;
}
