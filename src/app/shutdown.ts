/**
 * Graceful shutdown on SIGINT / SIGTERM: run the cleanup once (ffmpeg children ended, output
 * flushed, sockets closed); a second signal exits at once.
 */
import type { Logger } from './logger.js';

export function onShutdownSignal(cleanup: (signal: NodeJS.Signals) => Promise<void>, log: Logger): () => void {
  let shuttingDown = false;
  const handler = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn(`${signal} again: exiting now`);
      process.exit(130);
    }
    shuttingDown = true;
    log.info(`${signal}: shutting down`);
    cleanup(signal).then(
      () => {
        process.exitCode ??= 0;
      },
      (error: unknown) => {
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
