/** `decorruptor serve`: sources -> editor + classifier -> dashboard, /ws, /metrics (src/runtime/serve.ts). */
import { loadConfig, type Config, type ConfigOverrides } from '../../config/index.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { startServe, untilDoneOrSignal } from '../../runtime/index.js';
import { defineCommand } from '../options.js';
import { GATE, LISTEN, LOG_LEVEL, MODEL, motionGateOption, MQTT, ROLE_CONFIG, smoothingOption, SOURCES } from '../shared-options.js';

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

export function sourceOverrides(sources: string[] | undefined, corrupt: string | undefined): ConfigOverrides['sources'] {
  if (!sources || sources.length === 0) return undefined;
  return sources.map((text, i) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
    const [id, url] = named && !/^[a-z]+:\/\//i.test(text) ? [named[1], named[2]] : [`s${i + 1}`, text];
    return corrupt ? { id, url, corrupt } : { id, url };
  });
}

export async function run(argv: string[]): Promise<number> {
  const { help, values } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const config = await loadConfig({
    file: values.config,
    overrides: {
      logLevel: values['log-level'],
      smoothing: values.smoothing,
      motionGate: values['motion-gate'],
      server: { host: values.host, port: values.port, ...(values.api ? { api: { enabled: true } } : {}) },
      model: { bundle: values.bundle, editor: values.editor, steps: values.steps, gate: values.gate },
      sources: sourceOverrides(values.source, values.corrupt),
      sinks: values.mqtt === undefined ? undefined : { mqtt: { url: values.mqtt } },
    },
  });
  const log = createLogger(config.logLevel);
  await serve(config, log);
  return 0;
}

/** Serves until a signal, or until every source has ended; rejects when every source failed. */
export async function serve(config: Config, log: Logger): Promise<void> {
  const serving = await startServe(config, { log });
  await untilDoneOrSignal(serving, log);
}
