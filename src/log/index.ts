/**
 * The one Logger every layer takes (an object with debug/info/warn/error), the leveled stderr
 * logger the commands create, a prefixed one for batch commands, and a silent one for tests.
 */
export { createLogger, prefixedLogger, silentLogger, type Logger } from './logger.js';
