/** `decorruptor run --source FILE --out results.jsonl`: replay every frame, one JSON line each (src/runtime/replay.ts). */
import { writeFile } from 'node:fs/promises';
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startReplay, untilDoneOrSignal } from '../../runtime/index.js';
import { frameProgress } from '../progress.js';
import { defineCommand } from '../options.js';
import { BATCH, configOption, GATE, LOG_LEVEL, MODEL, motionGateOption, smoothingOption } from '../shared-options.js';
import { UsageError } from '../errors.js';
import { runThroughBroker } from './run-cluster.js';

/** Checked by the config schema (a bad one exits 2 naming it). */
type AnnotateLayout = NonNullable<Config['sinks']['annotatedVideo']>['layout'];

export const COMMAND = defineCommand({
  name: 'run',
  usage: 'decorruptor run --source FILE --out results.jsonl [options]',
  about: `Replays every frame of a video (none dropped, in order) through the editor and classifier and
writes one JSON line per frame: streamId, seq, ptsMs, label, confidence, source, edited, topk,
timings. Prints a summary at the end (on stderr; use --summary FILE for JSON).`,
  options: {
    source: { type: 'string', short: 's', value: 'FILE', required: true, description: 'video file (or any ffmpeg input, replayed)' },
    out: { type: 'string', short: 'o', value: 'FILE', required: true, description: "JSONL output ('-' for stdout)" },
    config: configOption('configuration file for model and batching settings'),
    bundle: { type: 'string', value: 'DIR', description: 'model bundle' },
    editor: { type: 'string', value: 'NAME', description: 'cm, dpm or none' },
    steps: { ...MODEL.steps, description: 'editor steps' },
    batch: BATCH('frames per batch', 'config batching.maxBatch'),
    width: { type: 'integer', value: 'W', min: 16, max: 4096, description: 'decode width', defaultText: "the model's input size" },
    height: { type: 'integer', value: 'H', min: 16, max: 4096, description: 'decode height', defaultText: "the model's input size" },
    corrupt: { type: 'string', value: 'SPEC', description: "corrupt frames first ('fog:4', 'cycle:3'): a test feed" },
    realtime: { type: 'boolean', description: "pace at the file's frame rate instead of as fast as possible" },
    annotate: {
      type: 'string',
      value: 'FILE',
      description:
        "also write the video with the labels burned in (H.264, e.g. out.mp4): one frame per input frame, at the source's rate; " +
        "decoded at the source's size (at most 1280 wide) unless --width/--height say otherwise",
    },
    // A bad layout is refused by the config schema, naming sinks.annotatedVideo.layout.
    'annotate-layout': { type: 'string', value: 'L', description: 'overlay or side-by-side (original | edited)', defaultText: 'overlay', parse: (text: string) => text as AnnotateLayout },
    summary: { type: 'string', value: 'FILE', description: 'write the summary as JSON' },
    nats: { type: 'string', value: 'URL', description: 'replay through the workers on this NATS broker (docs/distributed.md)' },
    smoothing: smoothingOption("label smoothing: off (every frame's own label), ema[:half-life ms] or window[:frames]"),
    'motion-gate': { ...motionGateOption('still frames carry the last result instead of being inferred'), defaultText: 'off, every frame inferred' },
    gate: GATE,
    'log-level': LOG_LEVEL,
  },
});

export async function run(argv: string[]): Promise<number> {
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  if (values['annotate-layout'] && !values.annotate) throw new UsageError('--annotate-layout needs --annotate FILE');

  const config: Config = await loadConfig({
    file: values.config,
    overrides: {
      logLevel: values['log-level'],
      smoothing: values.smoothing,
      motionGate: values['motion-gate'],
      model: { bundle: values.bundle, editor: values.editor, steps: values.steps, gate: values.gate },
      batching: { maxBatch: values.batch },
      cluster: { url: values.nats },
      sources: [{ id: 'replay', url: values.source, mode: 'replay', realtime: values.realtime, corrupt: values.corrupt }],
      sinks: {
        jsonl: { path: values.out },
        ...(values.annotate ? { annotatedVideo: { path: values.annotate, layout: values['annotate-layout'] } } : {}),
      },
    },
  });
  const decodeSize = { width: values.width, height: values.height };
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
