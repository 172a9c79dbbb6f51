/**
 * The one Logger every layer takes (an object with debug/info/warn/error), the pino-backed stderr
 * logger the commands create (JSON lines, readable on a terminal), a prefixed one for batch
 * commands, and a silent one for tests.
 */
export { createLogger, prefixedLogger, silentLogger, type LogFormat, type Logger, type LoggerOptions } from './logger.js';
export { prettyLine } from './pretty-line.js';
