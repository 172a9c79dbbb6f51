/**
 * Environment variables that override the config file. Each one is its own layer, so that an error
 * names the variable. A value that does not parse as the expected type is passed on as the raw
 * string: the schema then reports it (`server.port: expected integer, got "abc"`).
 * Empty values count as unset (`FOO=` in a compose file should not blank a setting).
 */
import { ConfigError } from './errors.js';
import { type ConfigLayer, nest } from './layers.js';

type EnvKind = 'string' | 'number' | 'list' | 'sources';

interface EnvVar {
  name: string;
  path: readonly string[];
  kind: EnvKind;
  description: string;
}

/** Names the config file when no --config flag is given. */
export const CONFIG_FILE_ENV = 'DECORRUPTOR_CONFIG';

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'DECORRUPTOR_LOG_LEVEL', path: ['logLevel'], kind: 'string', description: 'silent | error | warn | info | debug' },
  { name: 'DECORRUPTOR_HOST', path: ['server', 'host'], kind: 'string', description: 'address the HTTP/WebSocket server binds' },
  { name: 'DECORRUPTOR_PORT', path: ['server', 'port'], kind: 'number', description: 'port (0 picks a free one)' },
  { name: 'DECORRUPTOR_TOKEN', path: ['server', 'auth', 'token'], kind: 'string', description: 'token required on /ws (16+ chars)' },
  { name: 'DECORRUPTOR_ALLOWED_ORIGINS', path: ['server', 'allowedOrigins'], kind: 'list', description: 'comma-separated browser origins, or *' },
  { name: 'DECORRUPTOR_JPEG_QUALITY', path: ['server', 'jpegQuality'], kind: 'number', description: 'JPEG quality of streamed frames (1-100)' },
  { name: 'DECORRUPTOR_BUNDLE', path: ['model', 'bundle'], kind: 'string', description: 'model bundle folder' },
  { name: 'DECORRUPTOR_EDITOR', path: ['model', 'editor'], kind: 'string', description: 'editor name from the bundle, or none' },
  { name: 'DECORRUPTOR_STEPS', path: ['model', 'steps'], kind: 'number', description: 'editor sampling steps' },
  { name: 'DECORRUPTOR_PROVIDERS', path: ['model', 'providers'], kind: 'list', description: 'comma-separated execution providers, e.g. cuda,cpu' },
  { name: 'DECORRUPTOR_ENSEMBLE', path: ['model', 'ensemble'], kind: 'string', description: 'sum | confidence | entropy' },
  { name: 'DECORRUPTOR_PRECISION', path: ['model', 'precision'], kind: 'string', description: 'fp32 | int8 | auto' },
  { name: 'DECORRUPTOR_GATE', path: ['model', 'gate'], kind: 'string', description: 'corruption gate: auto | off' },
  { name: 'DECORRUPTOR_TOPK', path: ['model', 'topK'], kind: 'number', description: 'classes reported per prediction' },
  { name: 'DECORRUPTOR_MAX_BATCH', path: ['batching', 'maxBatch'], kind: 'number', description: 'largest inference batch' },
  { name: 'DECORRUPTOR_MAX_WAIT_MS', path: ['batching', 'maxWaitMs'], kind: 'number', description: 'batch wait after its first frame' },
  { name: 'DECORRUPTOR_DATA_DIR', path: ['data', 'cifar10Dir'], kind: 'string', description: 'CIFAR-10 binary batches for the demo' },
  { name: 'DECORRUPTOR_NATS_URL', path: ['cluster', 'url'], kind: 'string', description: 'NATS JetStream broker of the ingest / worker / gateway roles, e.g. nats://nats:4222' },
  { name: 'DECORRUPTOR_NATS_USER', path: ['cluster', 'auth', 'user'], kind: 'string', description: 'NATS user name' },
  { name: 'DECORRUPTOR_NATS_PASSWORD', path: ['cluster', 'auth', 'password'], kind: 'string', description: 'NATS password' },
  { name: 'DECORRUPTOR_NATS_TOKEN', path: ['cluster', 'auth', 'token'], kind: 'string', description: 'NATS authentication token' },
  { name: 'DECORRUPTOR_NATS_TLS_CA', path: ['cluster', 'tls', 'ca'], kind: 'string', description: "PEM file of the CA that signed the NATS server's certificate (turns TLS on)" },
  { name: 'DECORRUPTOR_NATS_TLS_CERT', path: ['cluster', 'tls', 'cert'], kind: 'string', description: 'PEM client certificate for a NATS server that verifies clients' },
  { name: 'DECORRUPTOR_NATS_TLS_KEY', path: ['cluster', 'tls', 'key'], kind: 'string', description: 'PEM private key of the client certificate' },
  { name: 'DECORRUPTOR_MQTT_URL', path: ['sinks', 'mqtt', 'url'], kind: 'string', description: 'MQTT broker URL (mqtt://, mqtts://, ws://, wss://): turns the MQTT sink on' },
  { name: 'DECORRUPTOR_MQTT_TOPIC_PREFIX', path: ['sinks', 'mqtt', 'topicPrefix'], kind: 'string', description: 'first level(s) of every MQTT topic' },
  { name: 'DECORRUPTOR_MQTT_USERNAME', path: ['sinks', 'mqtt', 'username'], kind: 'string', description: 'MQTT user name' },
  // Secrets belong in the environment (or a secrets file mounted as config), not in a committed config.
  { name: 'DECORRUPTOR_MQTT_PASSWORD', path: ['sinks', 'mqtt', 'password'], kind: 'string', description: 'MQTT password' },
  {
    name: 'DECORRUPTOR_SOURCES',
    path: ['sources'],
    kind: 'sources',
    description: 'comma-separated [id=]url list (ids default to s1, s2...), or a JSON array of source objects',
  },
];

export function envLayers(env: Readonly<Record<string, string | undefined>>): ConfigLayer[] {
  const layers: ConfigLayer[] = [];
  for (const variable of ENV_VARS) {
    const raw = env[variable.name]?.trim();
    if (raw === undefined || raw === '') continue;
    layers.push({ origin: `env ${variable.name}`, value: nest(variable.path, parseEnvValue(variable, raw)) });
  }
  return layers;
}

function parseEnvValue(variable: EnvVar, raw: string): unknown {
  switch (variable.kind) {
    case 'string':
      return raw;
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    case 'list':
      return splitList(raw);
    case 'sources':
      return raw.startsWith('[') ? parseJsonEnv(variable.name, raw) : splitList(raw).map(sourceFromListItem);
  }
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `cam1=rtsp://host/stream` or a bare url (then the id is its position: s1, s2...). */
function sourceFromListItem(item: string, index: number): { id: string; url: string } {
  const named = /^([A-Za-z0-9][A-Za-z0-9_.-]*)=(.+)$/.exec(item);
  return named ? { id: named[1]!, url: named[2]! } : { id: `s${index + 1}`, url: item };
}

function parseJsonEnv(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (cause) {
    throw new ConfigError('CONFIG_BAD_JSON', `${name} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}
