/** A small leveled logger on stderr (stdout stays free for JSONL and tables). */
import type { LogLevel } from '../config/index.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const RANK: Record<LogLevel, number> = { silent: 99, error: 3, warn: 2, info: 1, debug: 0 };

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (name: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[name] < RANK[level]) return;
    const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
    write(`${new Date().toISOString()} ${name.toUpperCase().padEnd(5)} ${message}${extra}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');

/**
 * For batch commands (eval, bench) whose stderr is read by people: `<prefix>: message`, no
 * timestamps, info and above.
 */
export function prefixedLogger(prefix: string, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (message: string) => write(`${prefix}: ${message}\n`);
  return { debug: () => {}, info: at, warn: at, error: at };
}
