/**
 * Waiting in tests on what a test really waits for: a condition polled against a deadline
 * (`waitFor`), or a condition checked again on each event that can change it (`waitOn`). A
 * timeout names what did not happen. `sleep` is only for the few waits that are themselves the
 * behaviour under test (an outage of a given length, "nothing arrives meanwhile"): say why where
 * it is called.
 */
import type { EventEmitter } from 'node:events';

/** A value other than undefined or false ends the wait and is what the wait resolves with. */
export type Check<T> = () => T | undefined | false;

export interface WaitOptions {
  /** What is awaited, for the failure message: "five frames", "'running' again". */
  what: string;
  /** Default 15 s. */
  timeoutMs?: number;
  /** Appended to the timeout message, read when the wait fails: say, a process's stderr so far. */
  detail?: () => string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const timedOut = ({ what, timeoutMs = DEFAULT_TIMEOUT_MS, detail }: WaitOptions) =>
  new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `; ${detail()}` : ''}`);

const accepted = <T>(value: T | undefined | false): value is T => value !== undefined && value !== false;

/** Polls `check` (which may be async) every `intervalMs` (default 25) until it accepts a value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: WaitOptions & { intervalMs?: number },
): Promise<T> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (accepted(value)) return value;
    const left = deadline - Date.now();
    if (left <= 0) throw timedOut(options);
    await sleep(Math.min(intervalMs, left));
  }
}

/**
 * Checks `check` now and again after each of the given events (listeners that record what arrives
 * must have been added before, so they run first), resolving with the first accepted value. An
 * exception thrown by `check` rejects the wait: that is how a check says "this will never happen".
 */
export function waitOn<T>(check: Check<T>, events: readonly [EventEmitter, string][], options: WaitOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      for (const [emitter, event] of events) emitter.off(event, attempt);
      settle();
    };
    const attempt = () => {
      try {
        const value = check();
        if (accepted(value)) finish(() => resolve(value));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const timer = setTimeout(() => finish(() => reject(timedOut(options))), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    for (const [emitter, event] of events) emitter.on(event, attempt);
    attempt();
  });
}
