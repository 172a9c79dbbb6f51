/**
 * Flags that several commands declare alike (serve, run, ingest, worker, gateway), and the value
 * parsers behind them. Each is an option declaration for options.ts; the config schema checks
 * what it can name better itself (a bad --log-level is reported as `logLevel`).
 */
import type { ConfigOverrides, LogLevel } from '../config/index.js';
import { UsageError } from './errors.js';
import type { IntegerOption, StringOption } from './options.js';

/** `-c, --config FILE`, described for the command. */
export const configOption = (description: string, defaultText?: string) =>
  ({ type: 'string', short: 'c', value: 'FILE', description, ...(defaultText === undefined ? {} : { defaultText }) }) satisfies StringOption;

export const ROLE_CONFIG = configOption('configuration file', 'config/default.json');

export const LOG_LEVEL = {
  type: 'string',
  value: 'L',
  description: 'silent, error, warn, info, debug',
  parse: (text: string) => text as LogLevel,
} satisfies StringOption<LogLevel>;

export const NATS = { type: 'string', value: 'URL', description: 'the broker, nats://host:4222 (also $DECORRUPTOR_NATS_URL, cluster.url)' } satisfies StringOption;

/** serve and ingest: the sources that replace the configured ones, and their test-feed corruption. */
export const SOURCES = {
  source: {
    type: 'string',
    short: 's',
    value: 'URL',
    multiple: true,
    description: "a source, replacing the configured ones: file, rtsp://..., http(s)://..., /dev/videoN, lavfi:<graph>, demo; 'id=URL' names it",
  },
  corrupt: { type: 'string', value: 'SPEC', description: "corrupt the --source feeds: 'fog:4', 'cycle' or 'cycle:3'" },
} as const satisfies Record<string, StringOption>;

/** The sources that `--source` (repeatable) and `--corrupt` name; undefined (the config's) when none is given. */
export function sourceOverrides(sources: string[] | undefined, corrupt: string | undefined): ConfigOverrides['sources'] {
  if (!sources || sources.length === 0) return undefined;
  return sources.map((text, i) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(text);
    const [id, url] = named && !/^[a-z]+:\/\//i.test(text) ? [named[1], named[2]] : [`s${i + 1}`, text];
    return corrupt ? { id, url, corrupt } : { id, url };
  });
}

/** serve and gateway (where the scale-out setup runs its sinks): `--mqtt URL` turns the MQTT sink on. */
export const MQTT = {
  type: 'string',
  value: 'URL',
  description:
    'publish labels, episodes, snapshots, states and stats to an MQTT broker: mqtt://host:1883 or mqtts://host:8883 (TLS); ' +
    'the other MQTT settings (topicPrefix, qos, username...) come from sinks.mqtt in the config file, ' +
    'the password best from $DECORRUPTOR_MQTT_PASSWORD (docs/integrations.md)',
} satisfies StringOption;

/** The sinks override that `--mqtt URL` makes; undefined (the config's) without it. */
export function mqttOverride(url: string | undefined): ConfigOverrides['sinks'] {
  return url === undefined ? undefined : { mqtt: { url } };
}

/** serve and gateway: where the HTTP server listens. */
export const LISTEN = {
  host: { type: 'string', value: 'HOST', description: 'listen address', defaultText: '127.0.0.1' },
  port: { type: 'integer', short: 'p', value: 'PORT', min: 0, max: 65535, description: 'listen port; 0 picks a free one', defaultText: '8080' },
} as const satisfies Record<string, StringOption | IntegerOption>;

/** serve and worker: which model runs. */
export const MODEL = {
  bundle: { type: 'string', value: 'DIR', description: 'model bundle', defaultText: 'models/cifar10' },
  editor: { type: 'string', value: 'NAME', description: 'editor from the bundle (cm, dpm) or none' },
  steps: { type: 'integer', min: 1, max: 100, description: "editor steps (default: the editor's own, cm 4, dpm 20; cm takes 1-8)" },
} as const satisfies Record<string, StringOption | IntegerOption>;

export const BATCH = (description: string, defaultText: string) => ({ type: 'integer', min: 1, max: 1024, description, defaultText }) satisfies IntegerOption;

/** A value from a fixed list, e.g. `choice('on', 'off')`. */
export function choice<const T extends string>(...allowed: T[]): (text: string, flag: string) => T {
  return (text, flag) => {
    if (!(allowed as string[]).includes(text)) throw new UsageError(`${flag}: expected ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}, got "${text}"`);
    return text as T;
  };
}

/** `--gate auto|off`: the corruption gate (model.gate). */
export const GATE = {
  type: 'string',
  value: 'auto|off',
  description: 'corruption gate: the editor runs only where a frame looks corrupted (bundles without a gate edit every frame)',
  defaultText: 'model.gate, auto',
  parse: choice('auto', 'off'),
} satisfies StringOption<'auto' | 'off'>;

/** `--motion-gate on|off` as a config override of `motionGate`. */
export const motionGateOption = (description: string) =>
  ({
    type: 'string',
    value: 'on|off',
    description,
    parse: (text: string, flag: string) => ({ enabled: choice('on', 'off')(text, flag) === 'on' }),
  }) satisfies StringOption<{ enabled: boolean }>;

type SmoothingOverride = { mode: 'off' | 'ema' | 'window'; halfLifeMs?: number; window?: number };

/**
 * `--smoothing off | ema[:HALF_LIFE_MS] | window[:FRAMES]` as a config override of `smoothing`.
 * The value's range is checked by the config schema, which names the field.
 */
export function smoothingValue(text: string, flag: string): SmoothingOverride {
  const match = /^(off|ema|window)(?::(\d+(?:\.\d+)?))?$/.exec(text);
  if (!match || (match[1] === 'off' && match[2] !== undefined)) {
    throw new UsageError(`${flag}: expected off, ema[:half-life ms] or window[:frames], got "${text}"`);
  }
  const mode = match[1] as SmoothingOverride['mode'];
  const amount = match[2] === undefined ? undefined : Number(match[2]);
  if (mode === 'ema') return { mode, ...(amount === undefined ? {} : { halfLifeMs: amount }) };
  if (mode === 'window') return { mode, ...(amount === undefined ? {} : { window: amount }) };
  return { mode };
}

/** The config's default smoothing is ema:1000 (src/config/schema.ts). */
export const smoothingOption = (description: string) =>
  ({ type: 'string', value: 'S', description, defaultText: 'ema:1000', parse: smoothingValue }) satisfies StringOption<SmoothingOverride>;
