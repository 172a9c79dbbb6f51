/** One declaration per command: its parsing (typed values, defaults, errors naming the flag) and its --help. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeFor, UsageError } from '../../src/cli/errors.js';
import { defineCommand } from '../../src/cli/options.js';
import { choice, smoothingValue } from '../../src/cli/shared-options.js';

const demo = defineCommand({
  name: 'demo',
  usage: 'decorruptor demo --in FILE [options]',
  about: 'Does a demo.',
  options: {
    in: { type: 'string', short: 'i', value: 'FILE', required: true, description: 'input file' },
    source: { type: 'string', short: 's', value: 'URL', multiple: true, description: 'a source' },
    batch: { type: 'integer', min: 1, max: 64, default: 16, description: 'frames per batch' },
    port: { type: 'integer', value: 'PORT', min: 0, max: 65535, description: 'listen port', defaultText: '8080' },
    quick: { type: 'boolean', description: 'short runs' },
    gate: { type: 'string', value: 'on|off', description: 'motion gate', parse: choice('on', 'off') },
    smoothing: { type: 'string', value: 'S', description: 'label smoothing', parse: smoothingValue, group: 'Advanced options' },
  },
  footer: 'See the docs.',
});

/** Asserts a UsageError (exit status 2) whose message matches. */
function rejectsWith(argv: string[], pattern: RegExp): void {
  assert.throws(
    () => demo.parse(argv),
    (error: unknown) => {
      assert.ok(error instanceof UsageError, String(error));
      assert.equal(exitCodeFor(error), 2);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

test('values come typed: integers converted, defaults applied, booleans false when absent, lists, parsed values', () => {
  const { help, values, positionals } = demo.parse(['-i', 'a.mp4', '-s', 'x', '--source', 'y', '--port', '0', '--gate', 'off', '--smoothing', 'ema:500']);
  assert.equal(help, false);
  assert.deepEqual(positionals, []);
  assert.deepEqual(values, { in: 'a.mp4', source: ['x', 'y'], batch: 16, port: 0, quick: false, gate: 'off', smoothing: { mode: 'ema', halfLifeMs: 500 } });
  assert.equal(demo.parse(['--in=b', '--quick', '--batch', '64']).values.batch, 64);
  assert.equal(demo.parse(['--in', 'b']).values.port, undefined, 'no default applied where only the help names one');
});

test('every mistake is a UsageError that names the flag', () => {
  rejectsWith(['--in', 'a', '--prot', '1'], /Unknown option '--prot'.*'decorruptor demo --help' lists the options/);
  rejectsWith(['--in'], /--in/);
  rejectsWith(['--in', 'a', '--batch', 'many'], /^--batch: expected an integer >= 1 and <= 64, got "many"/);
  rejectsWith(['--in', 'a', '--batch', '65'], /^--batch: /);
  rejectsWith(['--in', 'a', '--port', ''], /^--port: expected an integer/);
  rejectsWith(['--in', 'a', '--gate', 'maybe'], /^--gate: expected on or off, got "maybe"/);
  rejectsWith(['--in', 'a', '--smoothing', 'off:3'], /^--smoothing: /);
  rejectsWith(['--in', 'a', '--quick=yes'], /--quick/);
  rejectsWith(['--in', 'a', 'stray'], /Unexpected argument 'stray'/);
  rejectsWith([], /^--in is required\n\nUsage: decorruptor demo/);
});

test('--help (or -h) wins over everything else, checking nothing', () => {
  assert.equal(demo.parse(['--help']).help, true);
  assert.equal(demo.parse(['-h', '--batch', 'many']).help, true);
});

test('the help lists every option with its placeholder, description and default, in its group', () => {
  const help = demo.help;
  assert.ok(help.startsWith('Usage: decorruptor demo --in FILE [options]\n\nDoes a demo.\n\nOptions:\n'), help);
  assert.match(help, /^ {2}-i, --in FILE {4,}input file$/m);
  assert.match(help, /^ {2}-s, --source URL {2,}a source \(repeatable\)$/m);
  assert.match(help, /^ {6}--batch N {2,}frames per batch \(default: 16\)$/m);
  assert.match(help, /^ {6}--port PORT {2,}listen port \(default: 8080\)$/m);
  assert.match(help, /^ {6}--quick {2,}short runs$/m);
  assert.match(help, /^ {6}--gate on\|off {2,}motion gate$/m);
  assert.match(help, /\n\nAdvanced options:\n {6}--smoothing S {2,}label smoothing\n {2}-h, --help {2,}print this help\n\nSee the docs\.$/);
  // The descriptions line up in one column.
  const columns = new Set(help.split('\n').filter((line) => /^ {2}(-\w, | {4})--/.test(line)).map((line) => line.search(/(?<=\S {2,})\S/)));
  assert.equal(columns.size, 1, help);
});

test('long descriptions wrap within 100 columns, under the description column', () => {
  const wordy = defineCommand({
    name: 'wordy',
    usage: 'decorruptor wordy',
    options: { mqtt: { type: 'string', value: 'URL', description: 'publish labels and more '.repeat(12).trim() }, 'a-very-long-flag-name-indeed': { type: 'boolean', description: 'x' } },
  });
  const lines = wordy.help.split('\n');
  assert.ok(lines.every((line) => line.length <= 100), wordy.help);
  const first = lines.findIndex((line) => line.includes('--mqtt'));
  const column = lines[first]!.indexOf('publish');
  assert.ok(lines[first + 1]!.startsWith(' '.repeat(column)) && lines[first + 1]![column] !== ' ', wordy.help);
  assert.match(wordy.help, /--a-very-long-flag-name-indeed\n {2,}x/, 'a flag wider than the column puts its description on the next line');
});

const COMMAND_MODULES = ['bench', 'bundle', 'config', 'corrupt', 'data', 'eval', 'gateway', 'ingest', 'run', 'serve', 'worker'] as const;

test('every command prints its help for --help, exit 0, listing each flag it parses', async () => {
  for (const name of COMMAND_MODULES) {
    const module = (await import(`../../src/cli/commands/${name}.js`)) as {
      COMMAND: ReturnType<typeof defineCommand>;
      run(argv: string[]): Promise<number>;
    };
    const printed: string[] = [];
    const log = console.log;
    console.log = (text: string) => printed.push(text);
    try {
      assert.equal(await module.run(['--help']), 0, name);
    } finally {
      console.log = log;
    }
    assert.deepEqual(printed, [module.COMMAND.help], name);
    assert.equal(module.COMMAND.spec.name, name);
    assert.ok(printed[0]!.startsWith(`Usage: decorruptor ${name}`), name);
    for (const [flag, option] of Object.entries(module.COMMAND.spec.options)) {
      assert.ok(printed[0]!.includes(`--${flag}`), `${name} --help lists --${flag}`);
      if (option.short) assert.ok(printed[0]!.includes(`-${option.short}, --${flag}`), `${name} --help shows -${option.short}`);
    }
    await assert.rejects(module.run(['--no-such-flag']), (error: unknown) => error instanceof UsageError && error.message.includes("'--no-such-flag'"), name);
  }
});
