/**
 * Per key (a stream), lets a value through when it differs from the last one let through, and not
 * sooner than `intervalMs` after it: "on change, at most N per second" for the MQTT label topic,
 * the cooldown of a webhook. A change that comes too soon is not lost: the caller offers the
 * current value again (every frame does), so it goes out once the interval is over, unless the
 * value has gone back to the one last let through meanwhile (a flicker is no change).
 *
 *   const gate = new ChangeGate<string>(500);
 *   gate.offer('cam', 'cat');   // -> { previous: undefined }   (the first value is a change)
 *   gate.offer('cam', 'cat');   // -> undefined                  (no change)
 *   gate.offer('cam', 'dog');   // -> undefined if < 500 ms since 'cat', else { previous: 'cat' }
 */
export class ChangeGate<V> {
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #last = new Map<string, { value: V; at: number }>();

  constructor(intervalMs: number, now: () => number = () => performance.now()) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** `{ previous }` (the value last let through, undefined for the first) when `value` goes out now. */
  offer(key: string, value: V): { previous: V | undefined } | undefined {
    const last = this.#last.get(key);
    const now = this.#now();
    if (last !== undefined && (Object.is(last.value, value) || now - last.at < this.#intervalMs)) return undefined;
    this.#last.set(key, { value, at: now });
    return { previous: last?.value };
  }

  /** The value last let through for `key`. */
  last(key: string): V | undefined {
    return this.#last.get(key)?.value;
  }

  forget(key: string): void {
    this.#last.delete(key);
  }
}
