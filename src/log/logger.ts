/**
 * The one Logger every layer takes, and its implementations. The commands' logger is pino on
 * stderr (stdout stays free for data: `run --out -`, `config show`, tables): one JSON object a
 * line for log shipping (level, time, msg, pid, hostname and the caller's fields, top-level so a
 * pipeline can index them), or a readable line when stderr is a terminal.
 */
import { pino, stdSerializers, stdTimeFunctions } from 'pino';
import type { LogLevel } from '../config/index.js';
import { prettyLine } from './pretty-line.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** Where each line goes (tests collect them); default stderr. */
  write?: (line: string) => void;
  /** Default: 'pretty' when the lines go to stderr and it is a terminal, else 'json'. */
  format?: LogFormat;
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const toStderr = options.write === undefined;
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const format = options.format ?? (toStderr && process.stderr.isTTY === true ? 'pretty' : 'json');
  // hasColors() honours NO_COLOR and FORCE_COLOR.
  const colours = toStderr && process.stderr.hasColors?.() === true;
  const destination = { write: format === 'pretty' ? (line: string) => write(prettyLine(line, colours)) : write };
  // pino writes each line synchronously to a plain { write } destination, as process.stderr does
  // on Linux: nothing is lost when the shutdown watchdog calls process.exit right after a log line.
  const logger = pino(
    {
      level,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Callers pass `error` (mostly a message; an Error object gets type, message and stack).
      serializers: { error: stdSerializers.err },
    },
    destination,
  );
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

const ignore = (): void => {};
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/**
 * For batch commands (eval, bench) whose stderr is read by people: `<prefix>: message`, no
 * timestamps, info and above.
 */
export function prefixedLogger(prefix: string, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (message: string) => write(`${prefix}: ${message}\n`);
  return { debug: ignore, info: at, warn: at, error: at };
}
