/** `decorruptor serve`: sources -> editor + classifier -> dashboard, /ws, /metrics (src/runtime/serve.ts). */
import { loadConfig, type Config, type ConfigOverrides } from '../../config/index.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { startServe, untilDoneOrSignal } from '../../runtime/index.js';
import { intOption, motionGateOption, parseCommandArgs, smoothingOption } from '../args.js';

const HELP = `Usage: decorruptor serve [options]

Runs every configured source through the editor and classifier and serves the dashboard (GET /),
the WebSocket stream (/ws), /healthz, /readyz and /metrics. With no source configured it plays the
CIFAR-10 demo feed.

Options:
  -c, --config FILE     configuration file (default config/default.json)
  -s, --source URL      a source (repeatable): file, rtsp://..., http(s)://..., /dev/videoN,
                        lavfi:<graph>, demo; 'id=URL' names it. Replaces the configured sources.
      --corrupt SPEC    corrupt the --source feeds: 'fog:4', 'cycle' or 'cycle:3'
      --host HOST       listen address (default 127.0.0.1)
  -p, --port PORT       listen port (default 8080; 0 picks a free one)
      --bundle DIR      model bundle (default models/cifar10)
      --editor NAME     editor from the bundle (cm, dpm) or none
      --steps N         editor steps (cm: 1-8, default 4)
      --smoothing S     label smoothing per stream: off, ema[:half-life ms] (default ema:1000) or window[:frames]
      --motion-gate on|off  still frames carry the last result instead of being inferred (default on)
      --mqtt URL        publish labels, episodes, snapshots, states and stats to an MQTT broker:
                        mqtt://host:1883 or mqtts://host:8883 (TLS); the other MQTT settings
                        (topicPrefix, qos, username...) come from sinks.mqtt in the config file,
                        the password best from $DECORRUPTOR_MQTT_PASSWORD (docs/integrations.md)
      --log-level L     silent, error, warn, info, debug`;

export function sourceOverrides(sources: string[] | undefined, corrupt: string | undefined): ConfigOverrides['sources'] {
  if (!sources || sources.length === 0) return undefined;
  return sources.map((text, i) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
    const [id, url] = named && !/^[a-z]+:\/\//i.test(text) ? [named[1], named[2]] : [`s${i + 1}`, text];
    return corrupt ? { id, url, corrupt } : { id, url };
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', short: 'c' },
    source: { type: 'string', short: 's', multiple: true },
    corrupt: { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string', short: 'p' },
    bundle: { type: 'string' },
    editor: { type: 'string' },
    steps: { type: 'string' },
    smoothing: { type: 'string' },
    'motion-gate': { type: 'string' },
    mqtt: { type: 'string' },
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
      smoothing: smoothingOption(values.smoothing),
      motionGate: motionGateOption(values['motion-gate']),
      server: { host: values.host, port: intOption(values.port, 'port', 0, 65535) },
      model: { bundle: values.bundle, editor: values.editor, steps: intOption(values.steps, 'steps', 1, 100) },
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
