/** `decorruptor config schema` prints the JSON Schema; `decorruptor config show` the effective config. */
import { configJsonSchema, loadConfig } from '../../config/index.js';
import { UsageError } from '../errors.js';
import { defineCommand } from '../options.js';
import { configOption } from '../shared-options.js';

export const COMMAND = defineCommand({
  name: 'config',
  usage: ['decorruptor config schema', 'decorruptor config show [--config FILE]'],
  about: `schema  print the JSON Schema of the configuration file
show    print the effective configuration (defaults < file < environment), token redacted`,
  positionals: true,
  options: { config: configOption('configuration file (show)') },
});

export async function run(argv: string[]): Promise<number> {
  const { help, values, positionals } = COMMAND.parse(argv);
  if (help) return COMMAND.printHelp();
  const [action] = positionals;
  if (action === 'schema') {
    console.log(JSON.stringify(configJsonSchema(), null, 2));
    return 0;
  }
  if (action === 'show') {
    const config = await loadConfig({ file: values.config });
    if (config.server.auth.token) config.server.auth.token = '<redacted>';
    console.log(JSON.stringify(config, null, 2));
    return 0;
  }
  throw new UsageError(`expected 'schema' or 'show'\n\n${COMMAND.help}`);
}
