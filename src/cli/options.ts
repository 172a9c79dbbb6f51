/**
 * One declaration per command that yields both its parsing (node:util parseArgs, strict) and its
 * --help text, so a flag, its type, default and description are written once.
 *
 *   const command = defineCommand({
 *     name: 'corrupt', usage: 'decorruptor corrupt --in FILE [options]', about: 'Writes ...',
 *     options: { in: { type: 'string', value: 'FILE', required: true, description: 'input video' },
 *                severity: { type: 'integer', value: '1-5', min: 1, max: 5, default: 3, description: 'severity' } },
 *   });
 *   const { help, values } = command.parse(argv);   // values.severity: number, values.in: string
 *   if (help) return command.printHelp();
 *
 * Every error is a UsageError (exit status 2) that names the flag.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { formatHelp } from './help.js';

interface OptionBase {
  /** One letter: `c` for -c. */
  short?: string;
  description: string;
  /** The default --help shows when the parser applies none itself (it comes from the config, the bundle...). */
  defaultText?: string;
  /** The heading --help lists the option under; default 'Options'. */
  group?: string;
}

export interface BooleanOption extends OptionBase {
  type: 'boolean';
}

export interface StringOption<T = string> extends OptionBase {
  type: 'string';
  /** The value's placeholder in --help: FILE, URL, on|off. */
  value: string;
  /** Repeatable: the values come as a list. */
  multiple?: boolean;
  required?: boolean;
  default?: string;
  /** Turns the text into the value, throwing a UsageError that names `flag` when it is not one. */
  parse?: (text: string, flag: string) => T;
}

export interface IntegerOption extends OptionBase {
  type: 'integer';
  /** Placeholder in --help; default N. */
  value?: string;
  min?: number;
  max?: number;
  required?: boolean;
  default?: number;
}

export type OptionSpec = BooleanOption | StringOption<unknown> | IntegerOption;
export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionSpecs> {
  /** As typed after `decorruptor`: in messages and the pointer to --help. */
  name: string;
  /** The usage line(s); the first follows "Usage: ", the others line up under it. */
  usage: string | readonly string[];
  /** What the command does, printed as written, between the usage and the options. */
  about?: string;
  options: O;
  /** Printed after the options. */
  footer?: string;
  /** Whether the command takes positional arguments (it checks them itself). */
  positionals?: boolean;
}

type ValueOf<D> = D extends { type: 'boolean' }
  ? boolean
  : D extends { type: 'integer' }
    ? number
    : D extends { parse: (text: string, flag: string) => infer T }
      ? T
      : D extends { multiple: true }
        ? string[]
        : string;

/** Booleans are false when absent; an option with a default or that is required is always set. */
type AlwaysSet<D> = D extends { type: 'boolean' } | { default: unknown } | { required: true } ? true : false;

export type OptionValues<O extends OptionSpecs> = { -readonly [K in keyof O as AlwaysSet<O[K]> extends true ? K : never]: ValueOf<O[K]> } & {
  -readonly [K in keyof O as AlwaysSet<O[K]> extends true ? never : K]?: ValueOf<O[K]>;
};

export interface ParsedCommandLine<O extends OptionSpecs> {
  /** --help or -h was given: print the help, check nothing else. */
  help: boolean;
  values: OptionValues<O>;
  positionals: string[];
}

export interface Command<O extends OptionSpecs> {
  readonly spec: CommandSpec<O>;
  parse(argv: readonly string[]): ParsedCommandLine<O>;
  /** The --help text. */
  readonly help: string;
  /** Prints the help on stdout; returns exit status 0. */
  printHelp(): number;
}

/** The parsed values of a command, for helpers that take them. */
export type CommandValues<C> = C extends Command<infer O> ? OptionValues<O> : never;

export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): Command<O> {
  return {
    spec,
    parse: (argv) => parseCommandLine(spec, argv),
    get help() {
      return formatHelp(spec);
    },
    printHelp() {
      console.log(formatHelp(spec));
      return 0;
    },
  };
}

function parseCommandLine<O extends OptionSpecs>(spec: CommandSpec<O>, argv: readonly string[]): ParsedCommandLine<O> {
  const parseArgsOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, option] of Object.entries(spec.options)) {
    parseArgsOptions[name] = {
      type: option.type === 'boolean' ? 'boolean' : 'string',
      ...(option.short ? { short: option.short } : {}),
      ...(option.type === 'string' && option.multiple ? { multiple: true } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options: parseArgsOptions, allowPositionals: spec.positionals === true, strict: true });
  } catch (error) {
    // parseArgs' messages name the flag: "Unknown option '--prot'", "Option '-p, --port <value>' argument missing".
    throw new UsageError(`${(error as Error).message}; 'decorruptor ${spec.name} --help' lists the options`);
  }
  const given = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const help = given['help'] === true;
  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    const raw = given[name];
    if (raw === undefined) {
      if (option.type === 'boolean') values[name] = false;
      else if (option.default !== undefined) values[name] = option.type === 'string' && option.parse ? option.parse(option.default, `--${name}`) : option.default;
      else if (option.required && !help) throw new UsageError(`--${name} is required\n\n${formatHelp(spec)}`);
      continue;
    }
    if (!help) values[name] = convert(name, option, raw);
  }
  return { help, values: values as OptionValues<O>, positionals: parsed.positionals };
}

function convert(name: string, option: OptionSpec, raw: string | string[] | boolean): unknown {
  const flag = `--${name}`;
  switch (option.type) {
    case 'boolean':
      return raw;
    case 'integer':
      return integerValue(raw as string, flag, option.min, option.max);
    case 'string':
      return option.parse ? option.parse(raw as string, flag) : raw;
  }
}

/** Parses an integer flag value, naming the flag when it is not one (or out of range). */
export function integerValue(text: string, flag: string, min = -Infinity, max = Infinity): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: expected an integer${Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}, got "${text}"`);
  }
  return n;
}
