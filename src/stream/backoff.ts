/** How a live source restarts ffmpeg after it exits, crashes or stalls. */
export interface RestartPolicy {
  /**
   * Consecutive failed restarts tolerated; the next failure ends the source with SOURCE_FAILED.
   * Infinity: retry forever (a camera that may come back after hours).
   */
  maxAttempts: number;
  /** Ceiling of the first restart delay; each further attempt doubles it... */
  initialDelayMs: number;
  /** ...up to this ceiling. */
  maxDelayMs: number;
  /**
   * A run that delivered frames for this long counts as stable: the attempt counter starts again
   * from zero when it ends. (A run that ends cleanly after delivering frames also counts as stable.)
   */
  stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = Object.freeze({
  maxAttempts: 10,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  stableAfterMs: 10_000,
});

/**
 * Delay before restart number `attempt` (1-based): exponential backoff with full jitter, i.e. a
 * uniform draw in [0, min(maxDelayMs, initialDelayMs * 2^(attempt-1))]. Full jitter keeps many
 * cameras that dropped together (a switch reboot) from reconnecting in lockstep.
 */
export function restartDelayMs(
  attempt: number,
  policy: Pick<RestartPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(exponent, 52));
  return Math.round(random() * ceiling);
}
