/**
 * The configuration: one zod schema (schema.ts) for every setting and its default, the layers it is
 * read from (built-in defaults < file < environment < command line, load.ts) and errors that name
 * the field and where the bad value came from.
 */
export { ConfigError, isConfigError, type ConfigErrorCode, type ConfigIssue } from './errors.js';
export { ENV_VARS, CONFIG_FILE_ENV } from './env.js';
export { loadConfig, validateLayers, DEFAULT_CONFIG_FILE, type LoadConfigOptions, type ConfigOverrides } from './load.js';
export {
  configSchema,
  configJsonSchema,
  effectiveSources,
  DEMO_SOURCE_ID,
  type Config,
  type ConfigInput,
  type SourceConfig,
  type ServerConfig,
  type ModelConfig,
  type BatchingConfig,
  type SinksConfig,
  type MqttSinkConfig,
  type WebhookConfig,
  type BackoffConfig,
  type LogLevel,
} from './schema.js';
export { sourceKind, defaultMode, type ConfiguredSourceKind } from './sources.js';
export type { ClusterConfig } from './cluster.js';
