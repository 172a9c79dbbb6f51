/** `decorruptor gateway`: the broker -> dashboard, /ws, /healthz, /readyz, /metrics (src/runtime/gateway.ts). */
import { loadConfig, type Config } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startGateway, untilDoneOrSignal } from '../../runtime/index.js';
import { intOption, parseCommandArgs } from '../args.js';

const HELP = `Usage: decorruptor gateway --nats URL [options]

Serves the dashboard (GET /), the WebSocket stream (/ws, same protocol and auth as serve),
/healthz, /readyz and /metrics, fed from the workers' results on the NATS JetStream broker.
/readyz is 503 while the broker is away or no worker is heard from. See docs/distributed.md.

Options:
      --nats URL        the broker, nats://host:4222 (also $DECORRUPTOR_NATS_URL, cluster.url)
  -c, --config FILE     configuration file (default config/default.json)
      --host HOST       listen address (default 127.0.0.1)
  -p, --port PORT       listen port (default 8080; 0 picks a free one)
      --log-level L     silent, error, warn, info, debug`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    nats: { type: 'string' },
    config: { type: 'string', short: 'c' },
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
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
      server: { host: values.host, port: intOption(values.port, 'port', 0, 65535) },
    },
  });
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await startGateway(config, { log }), log);
  return 0;
}
