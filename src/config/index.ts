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
  type LogLevel,
} from './schema.js';
export { sourceKind, defaultMode, type ConfiguredSourceKind } from './sources.js';
