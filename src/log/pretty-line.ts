/**
 * The readable form of one pino JSON line, for a person at a terminal:
 *
 *   2025-01-02T03:04:05.678Z WARN  source cam reconnecting {"attempt":2,"delayMs":800}
 *
 * time, level, message, then the structured fields as JSON. pid and hostname are left out: on a
 * terminal they are the obvious ones. A line that is not pino's JSON is passed on unchanged.
 */

const LEVEL_COLOURS: Record<string, string> = { debug: '\x1b[90m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };
const RESET = '\x1b[0m';

export function prettyLine(jsonLine: string, colours = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, pid: _pid, hostname: _hostname, ...fields } = record;
  const label = String(level ?? '').toUpperCase().padEnd(5);
  const shownLevel = colours && typeof level === 'string' && LEVEL_COLOURS[level] ? `${LEVEL_COLOURS[level]}${label}${RESET}` : label;
  const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${String(time ?? '')} ${shownLevel} ${String(msg ?? '')}${extra}\n`;
}
