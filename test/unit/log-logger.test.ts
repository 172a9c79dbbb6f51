/** The commands' logger: pino JSON lines on stderr by default, a readable line on a terminal, levels from config. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createLogger, prettyLine } from '../../src/log/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

function collect(level: Parameters<typeof createLogger>[0], format?: 'json' | 'pretty') {
  const lines: string[] = [];
  return { lines, log: createLogger(level, { write: (line) => lines.push(line), ...(format ? { format } : {}) }) };
}

test('a line is one JSON object: level, ISO time, msg, and the caller fields at the top level', () => {
  const { lines, log } = collect('info');
  log.warn('source cam reconnecting', { stream: 'cam', attempt: 2 });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('\n'), 'one line each');
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(record['level'], 'warn');
  assert.equal(record['msg'], 'source cam reconnecting');
  assert.equal(record['stream'], 'cam');
  assert.equal(record['attempt'], 2);
  assert.match(String(record['time']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(record['pid'], process.pid);
  assert.equal(typeof record['hostname'], 'string');
});

test('the level from config filters; silent writes nothing', () => {
  const at = (level: Parameters<typeof createLogger>[0]) => {
    const { lines, log } = collect(level);
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
  };
  assert.deepEqual(at('debug'), ['d', 'i', 'w', 'e']);
  assert.deepEqual(at('info'), ['i', 'w', 'e']);
  assert.deepEqual(at('warn'), ['w', 'e']);
  assert.deepEqual(at('error'), ['e']);
  assert.deepEqual(at('silent'), []);
});

test('a message is taken as it is (no printf interpolation); an Error in `error` keeps its message and stack', () => {
  const { lines, log } = collect('info');
  log.info('100% done: %s stays');
  log.error('failed', { error: new Error('disk full') });
  log.error('failed', { error: 'just text' });
  const [plain, withError, withText] = lines.map((line) => JSON.parse(line) as Record<string, any>);
  assert.equal(plain!['msg'], '100% done: %s stays');
  assert.equal(withError!['error'].message, 'disk full');
  assert.match(withError!['error'].stack, /disk full/);
  assert.equal(withText!['error'], 'just text');
});

test('the readable format: time, level, message and the fields, without pid and hostname', () => {
  const { lines, log } = collect('info', 'pretty');
  log.warn('source cam reconnecting', { attempt: 2 });
  log.info('listening');
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z WARN  source cam reconnecting \{"attempt":2\}\n$/);
  assert.match(lines[1]!, /^\S+ INFO  listening\n$/);
  assert.equal(prettyLine('{"level":"error","time":"T","msg":"m"}', true), 'T \x1b[31mERROR\x1b[0m m\n', 'coloured level on a colour terminal');
  assert.equal(prettyLine('not json\n'), 'not json\n');
});

test('on stderr: JSON when it is not a terminal, readable when it is', async () => {
  const loggerModule = pathToFileURL(join(REPO_ROOT, 'src/log/logger.ts')).href;
  const script = (tty: boolean) =>
    `${tty ? 'process.stderr.isTTY = true; process.stderr.hasColors = () => false;' : ''}` +
    `const { createLogger } = await import('${loggerModule}'); createLogger('info').info('hello', { a: 1 }); console.log('data');`;
  const run = (tty: boolean) => promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(tty)], { cwd: REPO_ROOT });
  const piped = await run(false);
  assert.equal(piped.stdout, 'data\n', 'stdout carries data only');
  assert.deepEqual({ ...(JSON.parse(piped.stderr) as object), time: undefined, pid: undefined, hostname: undefined }, { level: 'info', msg: 'hello', a: 1, time: undefined, pid: undefined, hostname: undefined });
  const terminal = await run(true);
  assert.match(terminal.stderr, /^\S+Z INFO  hello \{"a":1\}\n$/);
});
