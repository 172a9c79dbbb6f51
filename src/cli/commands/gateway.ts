/** `decorruptor gateway`: the broker -> dashboard, /ws, /healthz, /readyz, /metrics (src/runtime/gateway.ts). */
import { startGateway } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { runRoleCommand } from '../role-command.js';
import { LISTEN, LOG_LEVEL, MQTT, mqttOverride, NATS, ROLE_CONFIG, smoothingOption } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'gateway',
  usage: 'decorruptor gateway --nats URL [options]',
  about: `Serves the dashboard (GET /), the WebSocket stream (/ws, same protocol and auth as serve),
/healthz, /readyz and /metrics, fed from the workers' results on the NATS JetStream broker.
/readyz is 503 while the broker is away or no worker is heard from. Each stream's results meet
here in order: the gateway smooths their labels and runs the configured sinks (MQTT, webhooks,
JSONL, recordings; give them to one gateway only). See docs/distributed.md.`,
  options: {
    nats: NATS,
    config: ROLE_CONFIG,
    ...LISTEN,
    smoothing: smoothingOption('label smoothing per stream: off, ema[:half-life ms] or window[:frames]'),
    mqtt: MQTT,
    'log-level': LOG_LEVEL,
  },
});

export const run = (argv: string[]): Promise<number> =>
  runRoleCommand(COMMAND, argv, {
    overrides: (values) => ({
      cluster: { url: values.nats },
      server: { host: values.host, port: values.port },
      smoothing: values.smoothing,
      sinks: mqttOverride(values.mqtt),
    }),
    start: startGateway,
  });
