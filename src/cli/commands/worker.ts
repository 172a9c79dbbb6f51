/** `decorruptor worker`: the broker -> editor + classifier -> the broker (src/runtime/worker.ts). */
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startWorker, untilDoneOrSignal } from '../../runtime/index.js';
import { intOption, parseCommandArgs } from '../args.js';

const HELP = `Usage: decorruptor worker --nats URL [options]

Pulls frames of every stream from the NATS JetStream broker in batches, runs the editor and the
classifier, and publishes the results. Run as many as the load needs: they share the streams,
and a worker that dies stops none of them. See docs/distributed.md.

Options:
      --nats URL        the broker, nats://host:4222 (also $DECORRUPTOR_NATS_URL, cluster.url)
  -c, --config FILE     configuration file (default config/default.json)
      --bundle DIR      model bundle (default models/cifar10)
      --editor NAME     editor from the bundle (cm, dpm) or none
      --steps N         editor steps (cm: 1-8, default 4)
      --batch N         largest batch (default batching.maxBatch)
      --threads N       onnxruntime intra-op threads per session (default: all cores)
      --log-level L     silent, error, warn, info, debug`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    nats: { type: 'string' },
    config: { type: 'string', short: 'c' },
    bundle: { type: 'string' },
    editor: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    threads: { type: 'string' },
    'log-level': { type: 'string' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = await loadConfig({
    file: values.config,
    overrides: {
      ...(values['log-level'] ? { logLevel: values['log-level'] as Config['logLevel'] } : {}),
      cluster: { url: values.nats },
      model: { bundle: values.bundle, editor: values.editor, steps: intOption(values.steps, 'steps', 1, 100), intraOpThreads: intOption(values.threads, 'threads', 1, 256) },
      batching: { maxBatch: intOption(values.batch, 'batch', 1, 1024) },
    },
  });
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await startWorker(config, { log }), log);
  return 0;
}
