/**
 * ConfigError: everything that can be wrong with a configuration, as one error with a stable
 * `code`. The message is written for a person at a terminal: one line per bad field, each naming
 * the field's path and where the bad value came from (the file, an environment variable, a flag).
 */

export type ConfigErrorCode =
  /** A value breaks the schema (wrong type, out of range, unknown key...). */
  | 'CONFIG_INVALID'
  /** The config file named explicitly (flag or DECORRUPTOR_CONFIG) does not exist or cannot be read. */
  | 'CONFIG_UNREADABLE'
  /** The config file (or a JSON-valued environment variable) is not valid JSON. */
  | 'CONFIG_BAD_JSON';

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `server.port` or `sources[0].url`; empty for the root. */
  path: string;
  message: string;
  /** Where the offending value came from, e.g. `config/default.json` or `env DECORRUPTOR_PORT`. */
  origin: string;
}

export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  /** The config file involved, when there was one. */
  readonly file: string | undefined;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, message: string, options: { file?: string; issues?: ConfigIssue[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ConfigError';
    this.code = code;
    this.file = options.file;
    this.issues = options.issues ?? [];
  }

  static invalid(issues: ConfigIssue[], file: string | undefined): ConfigError {
    const where = file === undefined ? '' : ` (config file ${file})`;
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}  [from ${i.origin}]`);
    return new ConfigError('CONFIG_INVALID', `Invalid configuration${where}:\n${lines.join('\n')}`, { file, issues });
  }
}

export function isConfigError(error: unknown): error is ConfigError {
  return error instanceof ConfigError;
}

/** `['sources', 0, 'url']` -> `sources[0].url`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** A short, quoted rendering of a bad value for an error line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
