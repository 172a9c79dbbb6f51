/**
 * loadConfig: built-in defaults < config file < environment variables < overrides (CLI flags),
 * validated by the one schema. Relative paths in the result (bundle, data, files) are left as
 * written: they are relative to the working directory, like the default `config/default.json`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import { CONFIG_FILE_ENV, envLayers } from './env.js';
import { ConfigError, type ConfigIssue, describeValue, formatPath } from './errors.js';
import { type ConfigLayer, isPlainObject, mergeLayers } from './layers.js';
import { type Config, type ConfigInput, configSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'config/default.json';

type DeepPartial<T> = T extends readonly (infer U)[] ? U[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** What the CLI passes: any subset of the config; `undefined` fields are ignored. */
export type ConfigOverrides = DeepPartial<ConfigInput>;

export interface LoadConfigOptions {
  /**
   * Config file. Undefined: $DECORRUPTOR_CONFIG, else config/default.json if it exists.
   * null: no file at all (built-in defaults only). A file named explicitly must exist.
   */
  file?: string | null;
  /** Environment to read DECORRUPTOR_* from; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Highest-precedence values, typically from command-line flags. */
  overrides?: ConfigOverrides;
  /** Base for a relative `file` (default: process.cwd()). */
  cwd?: string;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const layers: ConfigLayer[] = [];

  const fileChoice = chooseFile(options.file, env);
  if (fileChoice !== undefined) {
    const value = await readConfigFile(path.resolve(cwd, fileChoice.file), fileChoice.file, fileChoice.required);
    if (value !== undefined) layers.push({ origin: fileChoice.file, value });
  }
  layers.push(...envLayers(env));
  if (options.overrides !== undefined) layers.push({ origin: 'command line', value: options.overrides as Record<string, unknown> });

  return validateLayers(layers, fileChoice?.file);
}

/** Validates already-merged layers; exposed for callers that assemble layers themselves (and tests). */
export function validateLayers(layers: readonly ConfigLayer[], file?: string): Config {
  const merged = mergeLayers(layers);
  const result = configSchema.safeParse(merged.value, { reportInput: true, error: issueMessage });
  if (result.success) return result.data;
  const issues = result.error.issues.flatMap((issue) => toConfigIssues(issue, merged.originOf));
  throw ConfigError.invalid(issues, file);
}

function chooseFile(file: string | null | undefined, env: Readonly<Record<string, string | undefined>>): { file: string; required: boolean } | undefined {
  if (file === null) return undefined;
  if (file !== undefined) return { file, required: true };
  const fromEnv = env[CONFIG_FILE_ENV]?.trim();
  if (fromEnv) return { file: fromEnv, required: true };
  return { file: DEFAULT_CONFIG_FILE, required: false };
}

async function readConfigFile(absolute: string, shown: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    if (!required && (cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read config file ${shown}: ${(cause as Error).message}`, { file: shown, cause });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError('CONFIG_BAD_JSON', `Config file ${shown} is not valid JSON: ${(cause as Error).message}`, { file: shown, cause });
  }
  if (!isPlainObject(parsed)) {
    throw ConfigError.invalid([{ path: '', message: `expected an object, got ${describeValue(parsed)}`, origin: shown }], shown);
  }
  // Editors put "$schema" at the top of a file to get completion; it is not a setting.
  const { $schema: _editorHint, ...settings } = parsed;
  return settings;
}

type RawIssue = z.core.$ZodRawIssue;

/** Messages that say what was expected and what was found, without zod's prefixes. */
function issueMessage(issue: RawIssue): string | undefined {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const integer = issue.expected === 'int' || (issue.inst as { _zod?: { def?: { format?: string } } } | undefined)?._zod?.def?.format === 'safeint';
      return `expected ${integer ? 'integer' : issue.expected}, ${got}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, ${got}`;
    case 'too_small':
      return `${boundText(issue.origin, issue.inclusive ? 'at least' : 'more than', issue.minimum)}, ${got}`;
    case 'too_big':
      return `${boundText(issue.origin, issue.inclusive ? 'at most' : 'less than', issue.maximum)}, ${got}`;
    case 'invalid_union':
      return `does not match any allowed form, ${got}`;
    default:
      return undefined;
  }
}

function boundText(origin: string, relation: string, bound: unknown): string {
  const n = Number(bound);
  if (origin === 'array' || origin === 'set') return `must have ${relation} ${n} item${n === 1 ? '' : 's'}`;
  if (origin === 'string') return `must be ${relation} ${n} character${n === 1 ? '' : 's'} long`;
  return `must be ${relation} ${n}`;
}

function toConfigIssues(issue: z.core.$ZodIssue, originOf: (path: readonly PropertyKey[], fallback: string) => string): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const keyPath = [...issue.path, key];
      return { path: formatPath(keyPath), message: 'unknown key', origin: originOf(keyPath, 'defaults') };
    });
  }
  // Schema-level messages (regex, refinements) do not show the value; add it.
  const needsValue = (issue.code === 'custom' || issue.code === 'invalid_format') && 'input' in issue;
  const message = needsValue ? `${issue.message}, got ${describeValue(issue.input)}` : issue.message;
  return [{ path: formatPath(issue.path), message, origin: originOf(issue.path, 'defaults') }];
}
