/**
 * How the commands of the long-running roles (serve, ingest, worker, gateway) run: their flags laid
 * over the config file, the role started with a logger at the configured level, and kept until it
 * ends or a signal stops it. Each role itself is assembled in src/runtime; the commands only say
 * which flags go where.
 */
import { loadConfig, type Config, type ConfigOverrides } from '../config/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { untilDoneOrSignal, type RoleHandle } from '../runtime/index.js';
import type { Command, OptionSpecs, OptionValues } from './options.js';
import type { LOG_LEVEL, ROLE_CONFIG } from './shared-options.js';

/** The flags every role command declares: `--config FILE` and `--log-level`. */
type RoleFlags = { config: typeof ROLE_CONFIG; 'log-level': typeof LOG_LEVEL };

export interface RoleCommand<O extends OptionSpecs> {
  /** What the command's other flags override in the config file. */
  overrides(values: OptionValues<O>): ConfigOverrides;
  start(config: Config, options: { log: Logger }): Promise<RoleHandle<unknown>>;
}

/** Runs the role until it is done (exit status 0); a bad config or a role that fails rejects. */
export async function runRoleCommand<O extends OptionSpecs & RoleFlags>(command: Command<O>, argv: readonly string[], role: RoleCommand<O>): Promise<number> {
  const { help, values } = command.parse(argv);
  if (help) return command.printHelp();
  // O declares both flags (the constraint), which the mapped OptionValues<O> cannot show generically.
  const { config: file, 'log-level': logLevel } = values as OptionValues<RoleFlags>;
  const config = await loadConfig({ file, overrides: { ...role.overrides(values), logLevel } });
  const log = createLogger(config.logLevel);
  await untilDoneOrSignal(await role.start(config, { log }), log);
  return 0;
}
