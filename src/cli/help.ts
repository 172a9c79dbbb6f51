/**
 * A command's --help text from its declaration (options.ts): the usage, what it does, then each
 * option group with every flag, its value placeholder, description and default, wrapped to the
 * terminal-friendly width the hand-written texts had.
 */
import type { CommandSpec, OptionSpec, OptionSpecs } from './options.js';

const WIDTH = 100;
/** Flags longer than this put their description on the next line. */
const MAX_FLAG_COLUMN = 24;
const DEFAULT_GROUP = 'Options';
const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help' };

export function formatHelp<O extends OptionSpecs>(spec: CommandSpec<O>): string {
  const [first, ...more] = typeof spec.usage === 'string' ? [spec.usage] : spec.usage;
  const sections = [[`Usage: ${first}`, ...more.map((line) => `       ${line}`)].join('\n')];
  if (spec.about) sections.push(spec.about);
  sections.push(...optionSections({ ...spec.options, help: HELP_OPTION }));
  if (spec.footer) sections.push(spec.footer);
  return sections.join('\n\n');
}

function optionSections(options: OptionSpecs): string[] {
  const groups = new Map<string, [string, OptionSpec][]>();
  for (const entry of Object.entries(options)) {
    const group = entry[0] === 'help' ? [...groups.keys()].at(-1) ?? DEFAULT_GROUP : entry[1].group ?? DEFAULT_GROUP;
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  const flags = new Map(Object.entries(options).map(([name, option]) => [name, flagText(name, option)]));
  const column = Math.min(MAX_FLAG_COLUMN, Math.max(...[...flags.values()].map((text) => text.length))) + 4;
  return [...groups].map(([title, entries]) => {
    const lines = entries.map(([name, option]) => optionLines(flags.get(name)!, describe(option), column));
    return `${title}:\n${lines.join('\n')}`;
  });
}

/** `-c, --config FILE` or `    --host HOST`: the long flags line up. */
function flagText(name: string, option: OptionSpec): string {
  const short = option.short ? `-${option.short}, ` : '    ';
  const value = option.type === 'boolean' ? '' : ` ${option.value ?? 'N'}`;
  return `${short}--${name}${value}`;
}

function describe(option: OptionSpec): string {
  const repeatable = option.type === 'string' && option.multiple ? ' (repeatable)' : '';
  const fallback = option.type === 'boolean' ? undefined : (option.defaultText ?? (option.default === undefined ? undefined : String(option.default)));
  return `${option.description}${repeatable}${fallback === undefined ? '' : ` (default: ${fallback})`}`;
}

function optionLines(flag: string, description: string, column: number): string {
  const indent = ' '.repeat(column);
  const wrapped = wrap(description, WIDTH - column);
  const head = `  ${flag}`;
  if (head.length + 2 > column) return [head, ...wrapped.map((line) => indent + line)].join('\n');
  return [head.padEnd(column) + wrapped[0], ...wrapped.slice(1).map((line) => indent + line)].join('\n');
}

/** Greedy word wrap; a '\n' in the text is kept as a line break. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ').filter((w) => w !== '')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}
