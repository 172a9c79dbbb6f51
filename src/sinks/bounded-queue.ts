/**
 * A FIFO that never grows past `capacity`: a push into a full queue drops the oldest item. Live
 * results lose value with age, so the newest win (as a live source keeps its newest frame).
 * An item pushed with a `key` replaces a queued item of the same key (a retained topic's older
 * value is worth nothing once a newer one waits): it moves to the back, nothing is dropped.
 *
 *   const q = new BoundedQueue<string>(2);
 *   q.push('a'); q.push('b'); q.push('c');   // -> { dropped: 'a' }
 *   q.push('s1', 'state'); q.push('s2', 'state');   // -> { superseded: 's1' }
 */
export interface PushResult<T> {
  /** The oldest item, pushed out because the queue was full. */
  dropped?: T;
  /** The queued item of the same key that this one replaced. */
  superseded?: T;
}

interface Entry<T> {
  item: T;
  key: string | undefined;
}

export class BoundedQueue<T> {
  readonly capacity: number;
  #entries: Entry<T>[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get length(): number {
    return this.#entries.length;
  }

  push(item: T, key?: string): PushResult<T> {
    if (key !== undefined) {
      const index = this.#entries.findIndex((e) => e.key === key);
      if (index >= 0) {
        const [old] = this.#entries.splice(index, 1);
        this.#entries.push({ item, key });
        return { superseded: old!.item };
      }
    }
    this.#entries.push({ item, key });
    return this.#entries.length > this.capacity ? { dropped: this.#entries.shift()!.item } : {};
  }

  /**
   * Puts items back at the front (ones that were taken but not delivered), oldest first. Returns
   * those that are not put back: the oldest of them when they do not all fit, and any whose key is
   * queued again.
   */
  returnToFront(items: readonly { item: T; key?: string }[]): T[] {
    const lost: T[] = [];
    const back: Entry<T>[] = [];
    for (const { item, key } of items) {
      // A newer value for the same key is already waiting: the returned one is stale.
      if (key !== undefined && this.#entries.some((e) => e.key === key)) lost.push(item);
      else back.push({ item, key });
    }
    const room = Math.max(0, this.capacity - this.#entries.length);
    lost.push(...back.splice(0, Math.max(0, back.length - room)).map((e) => e.item));
    this.#entries = [...back, ...this.#entries];
    return lost;
  }

  shift(): { item: T; key: string | undefined } | undefined {
    return this.#entries.shift();
  }

  /** Empties the queue, returning what it held, oldest first. */
  clear(): T[] {
    const items = this.#entries.map((e) => e.item);
    this.#entries = [];
    return items;
  }
}
