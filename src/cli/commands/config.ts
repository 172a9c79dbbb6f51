/** `decorruptor config schema` prints the JSON Schema; `decorruptor config show` the effective config. */
import { configJsonSchema, loadConfig } from '../../config/index.js';
import { parseCommandArgs } from '../args.js';
import { UsageError } from '../errors.js';

const HELP = `Usage: decorruptor config schema
       decorruptor config show [--config FILE]

schema  print the JSON Schema of the configuration file
show    print the effective configuration (defaults < file < environment), token redacted`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { config: { type: 'string', short: 'c' } }, true);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
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
  throw new UsageError(`expected 'schema' or 'show'\n\n${HELP}`);
}
