/**
 * Graceful shutdown on SIGINT / SIGTERM: run the cleanup once (ffmpeg children ended, output
 * flushed, sockets closed); a second signal exits at once, and so does a cleanup that hangs for
 * longer than `forceExitAfterMs` (exit 1, said on stderr): a stop request always ends the process.
 */
import type { Logger } from '../log/logger.js';
import type { RoleHandle } from './role.js';

export interface ShutdownOptions {
  /** Longest the cleanup may take before the process exits anyway. Default 10 s. */
  forceExitAfterMs?: number;
}

const DEFAULT_FORCE_EXIT_AFTER_MS = 10_000;

export function onShutdownSignal(cleanup: (signal: NodeJS.Signals) => Promise<void>, log: Logger, options: ShutdownOptions = {}): () => void {
  const forceExitAfterMs = options.forceExitAfterMs ?? DEFAULT_FORCE_EXIT_AFTER_MS;
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    shuttingDown = true;
    log.info(`${signal}: shutting down`);
    // Unref'd: a cleanup that finishes lets the process exit without waiting for this timer.
    const watchdog = setTimeout(() => {
      log.error(`shutdown did not finish within ${forceExitAfterMs} ms: exiting now`);
      process.exit(1);
    }, forceExitAfterMs).unref();
    cleanup(signal).then(
      () => {
        clearTimeout(watchdog);
        process.exitCode ??= 0;
      },
      (error: unknown) => {
        clearTimeout(watchdog);
        log.error('shutdown failed', { error: (error as Error).message });
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * Waits for a role to finish, stopping it on SIGINT / SIGTERM: what every long-running command
 * does. Resolves with the role's result and whether a signal stopped it.
 */
export async function untilDoneOrSignal<T>(role: RoleHandle<T>, log: Logger): Promise<{ result: T; signalled: boolean }> {
  let signalled = false;
  const removeHandlers = onShutdownSignal(async () => {
    signalled = true;
    await role.stop();
  }, log);
  try {
    return { result: await role.done, signalled };
  } finally {
    removeHandlers();
  }
}
