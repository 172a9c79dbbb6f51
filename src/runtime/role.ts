/** What every role (serve, replay, ingest, worker, gateway) hands back to whoever started it. */
import type { RunSummary } from '../sinks/index.js';

export interface RoleHandle<Result = void> {
  /**
   * Settles when the role has finished and released everything (sources ended, sinks flushed,
   * sockets and the engine closed): resolves with its result, rejects with the reason it failed.
   */
  readonly done: Promise<Result>;
  /** Asks the role to finish now; resolves with `done` settled. The one shutdown path. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs `cleanup` once, however many times and from wherever shutdown is asked for (a signal, the
 * flow ending, a test): the role's one shutdown path.
 */
export function once(cleanup: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= cleanup());
}

/** What a replay of one file (`run`, on this machine or through the broker) ends with. */
export interface ReplayOutcome {
  summary: RunSummary;
  /** stop() was called before the source ended. */
  interrupted: boolean;
  /** The source gave up part-way (the frames before were processed and written). */
  sourceError?: Error;
}
