/** `decorruptor gateway`: the broker -> dashboard, /ws, /healthz, /readyz, /metrics (src/runtime/gateway.ts). */
import { loadConfig } from '../../config/index.js';
import { createLogger } from '../../log/logger.js';
import { startGateway, untilDoneOrSignal } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { LISTEN, LOG_LEVEL, NATS, ROLE_CONFIG } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'gateway',
  usage: 'decorruptor gateway --nats URL [options]',
  about: `Serves the dashboard (GET /), the WebSocket stream (/ws, same protocol and auth as serve),
/healthz, /readyz and /metrics, fed from the workers' results on the NATS JetStream broker.
/readyz is 503 while the broker is away or no worker is heard from. See docs/distributed.md.`,
  options: { nats: NATS, config: ROLE_CONFIG, ...LISTEN, 'log-level': LOG_LEVEL },
});

export async function run(argv: string[]): Promise<number> {
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const config = await loadConfig({
    file: values.config,
    overrides: { logLevel: values['log-level'], cluster: { url: values.nats }, server: { host: values.host, port: values.port } },
  });
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await startGateway(config, { log }), log);
  return 0;
}
