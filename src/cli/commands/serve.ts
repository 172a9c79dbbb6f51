/** `decorruptor serve`: sources -> editor + classifier -> dashboard, /ws, /metrics (src/runtime/serve.ts). */
import { startServe } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { runRoleCommand } from '../role-command.js';
import { GATE, LISTEN, LOG_LEVEL, MODEL, motionGateOption, MQTT, mqttOverride, ROLE_CONFIG, smoothingOption, SOURCES, sourceOverrides } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'serve',
  usage: 'decorruptor serve [options]',
  about: `Runs every configured source through the editor and classifier and serves the dashboard (GET /),
the WebSocket stream (/ws), /healthz, /readyz and /metrics. With no source configured it plays the
CIFAR-10 demo feed.`,
  options: {
    config: ROLE_CONFIG,
    ...SOURCES,
    ...LISTEN,
    ...MODEL,
    smoothing: smoothingOption('label smoothing per stream: off, ema[:half-life ms] or window[:frames]'),
    'motion-gate': { ...motionGateOption('still frames carry the last result instead of being inferred'), defaultText: 'on' },
    gate: GATE,
    mqtt: MQTT,
    api: {
      type: 'boolean',
      description: 'the stream API: add and remove streams at run time over HTTP (/api/streams, under server.auth.token; docs/api.md); server.api.enabled',
    },
    'log-level': LOG_LEVEL,
  },
});

export const run = (argv: string[]): Promise<number> =>
  runRoleCommand(COMMAND, argv, {
    overrides: (values) => ({
      smoothing: values.smoothing,
      motionGate: values['motion-gate'],
      server: { host: values.host, port: values.port, ...(values.api ? { api: { enabled: true } } : {}) },
      model: { bundle: values.bundle, editor: values.editor, steps: values.steps, gate: values.gate },
      sources: sourceOverrides(values.source, values.corrupt),
      sinks: mqttOverride(values.mqtt),
    }),
    start: startServe,
  });
