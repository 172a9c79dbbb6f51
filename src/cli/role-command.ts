/**
 * How the commands of the long-running roles (serve, ingest, worker, gateway) run: their flags laid
 * over the config file, the role started with a logger at the configured level, and kept until it
 * ends or a signal stops it. Each role itself is assembled in src/runtime; the commands only say
 * which flags go where.
 */
import { loadConfig, type Config, type LoadConfigOptions } from '../config/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { untilDoneOrSignal, type RoleHandle } from '../runtime/index.js';
import type { Command, OptionSpecs, OptionValues } from './options.js';

export interface RoleCommand<O extends OptionSpecs> {
  /** The config file (`--config`) and what the flags override in it. */
  config(values: OptionValues<O>): Pick<LoadConfigOptions, 'file' | 'overrides'>;
  start(config: Config, options: { log: Logger }): Promise<RoleHandle<unknown>>;
}

/** Runs the role until it is done (exit status 0); a bad config or a role that fails rejects. */
export async function runRoleCommand<O extends OptionSpecs>(command: Command<O>, argv: readonly string[], role: RoleCommand<O>): Promise<number> {
  const { help, values } = command.parse(argv);
  if (help) return command.printHelp();
  const config = await loadConfig(role.config(values));
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await role.start(config, { log }), log);
  return 0;
}
