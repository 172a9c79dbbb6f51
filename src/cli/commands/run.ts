/** `decorruptor run --source FILE --out results.jsonl`: replay every frame, one JSON line each. */
import { loadConfig, type Config } from '../../config/index.js';
import { JsonlWriter } from '../../app/jsonl-writer.js';
import { createLogger } from '../../app/logger.js';
import { Pipeline } from '../../app/pipeline.js';
import { onShutdownSignal } from '../../app/shutdown.js';
import { ConfiguredStream } from '../../app/streams.js';
import { openEngine } from '../../app/engine.js';
import { createProgress } from '../progress.js';
import { intOption, parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';

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
      --summary FILE     write the summary as JSON
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
    summary: { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.source) throw new UsageError(`--source is required\n\n${HELP}`);
  if (!values.out) throw new UsageError(`--out is required\n\n${HELP}`);

  const config: Config = await loadConfig({
    file: values.config,
    overrides: {
      ...(values['log-level'] ? { logLevel: values['log-level'] as Config['logLevel'] } : {}),
      model: { bundle: values.bundle, editor: values.editor, steps: intOption(values.steps, 'steps', 1, 100) },
      batching: { maxBatch: intOption(values.batch, 'batch', 1, 1024) },
      sources: [{ id: 'replay', url: values.source, mode: 'replay', realtime: values.realtime ?? false, corrupt: values.corrupt }],
    },
  });
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const writer = new JsonlWriter(values.out);
  await writer.ready();

  const engine = await openEngine(config.model, log);
  const size = engine.info.inputSize;
  const sourceConfig = config.sources[0];
  const stream = await ConfiguredStream.create({
    ...sourceConfig,
    width: intOption(values.width, 'width', 16, 4096) ?? size.width,
    height: intOption(values.height, 'height', 16, 4096) ?? size.height,
  });
  const progress = createProgress({ total: stream.source.probed?.frameCount, label: 'frames' });

  const pipeline = Pipeline.start({
    streams: [stream],
    engine,
    maxBatch: config.batching.maxBatch,
    maxWaitMs: config.batching.maxWaitMs,
    log,
    sink: {
      frame: (frame, inference) => {
        writer.write(frame, inference);
        progress.tick(1);
      },
    },
  });
  let interrupted = false;
  const removeHandlers = onShutdownSignal(async () => {
    interrupted = true;
    await pipeline.stop();
  }, log);
  try {
    await pipeline.done;
  } finally {
    removeHandlers();
    progress.done();
    await pipeline.stop();
    await engine.close();
    await writer.close();
  }

  const summary = { source: values.source, out: values.out, editor: engine.info.editor, steps: engine.info.steps, ...writer.summary() };
  if (values.summary) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(values.summary, `${JSON.stringify(summary, null, 2)}\n`);
  }
  process.stderr.write(
    `${summary.frames} frames in ${summary.seconds} s (${summary.fps} frames/s), editor ${summary.editor}/${summary.steps}; ` +
      `adapted label differs from source-only on ${summary.changedByEditor} frames` +
      (summary.accuracy ? `; accuracy source ${summary.accuracy.source}, adapted ${summary.accuracy.ensemble}` : '') +
      '\n',
  );
  const [error] = pipeline.sourceErrors;
  if (error) throw error;
  return interrupted ? 130 : 0;
}
