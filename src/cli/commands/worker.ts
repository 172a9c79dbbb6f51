/** `decorruptor worker`: the broker -> editor + classifier -> the broker (src/runtime/worker.ts). */
import { startWorker } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { runRoleCommand } from '../role-command.js';
import { BATCH, LOG_LEVEL, MODEL, NATS, ROLE_CONFIG } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'worker',
  usage: 'decorruptor worker --nats URL [options]',
  about: `Pulls frames of every stream from the NATS JetStream broker in batches, runs the editor and the
classifier, and publishes the results. Run as many as the load needs: they share the streams,
and a worker that dies stops none of them. See docs/distributed.md.`,
  options: {
    nats: NATS,
    config: ROLE_CONFIG,
    ...MODEL,
    batch: BATCH('largest batch', 'batching.maxBatch'),
    threads: { type: 'integer', min: 1, max: 256, description: 'onnxruntime intra-op threads per session', defaultText: 'all cores' },
    'log-level': LOG_LEVEL,
  },
});

export const run = (argv: string[]): Promise<number> =>
  runRoleCommand(COMMAND, argv, {
    overrides: (values) => ({
      cluster: { url: values.nats },
      model: { bundle: values.bundle, editor: values.editor, steps: values.steps, intraOpThreads: values.threads },
      batching: { maxBatch: values.batch },
    }),
    start: startWorker,
  });
