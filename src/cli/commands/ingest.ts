/** `decorruptor ingest`: sources -> the broker (src/runtime/ingest.ts). */
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startIngest, untilDoneOrSignal } from '../../runtime/index.js';
import { parseCommandArgs } from '../args.js';
import { sourceOverrides } from './serve.js';

const HELP = `Usage: decorruptor ingest --nats URL [options]

Runs the configured sources (supervised, with the test-feed corruption, as in serve) and publishes
their frames, JPEG-encoded at the display size, to the NATS JetStream broker, where workers pick
them up. Live sources: only the newest frame waits on the broker. Files in replay mode: every
frame, waiting while the replay queue is full. Answers the gateways' set-corruption requests for
its streams. Stream ids must be unique across ingests. See docs/distributed.md.

Options:
      --nats URL        the broker, nats://host:4222 (also $DECORRUPTOR_NATS_URL, cluster.url)
  -c, --config FILE     configuration file (default config/default.json)
  -s, --source URL      a source (repeatable): file, rtsp://..., http(s)://..., /dev/videoN,
                        lavfi:<graph>, demo; 'id=URL' names it. Replaces the configured sources.
      --corrupt SPEC    corrupt the --source feeds: 'fog:4', 'cycle' or 'cycle:3'
      --log-level L     silent, error, warn, info, debug`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    nats: { type: 'string' },
    config: { type: 'string', short: 'c' },
    source: { type: 'string', short: 's', multiple: true },
    corrupt: { type: 'string' },
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
      sources: sourceOverrides(values.source, values.corrupt),
    },
  });
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await startIngest(config, { log }), log);
  return 0;
}
