/**
 * Runs jobs one at a time, keeping at most one waiting: a new job replaces the waiting one, which
 * resolves as `superseded`. Per stream this keeps frames in order and bounds the backlog when
 * frames arrive faster than they can be encoded; the newest frame always wins.
 */
export type LatestOnlyResult<T> = { status: 'done'; value: T } | { status: 'superseded' };

interface Waiting<T> {
  job: () => Promise<T>;
  resolve: (result: LatestOnlyResult<T>) => void;
  reject: (error: unknown) => void;
}

export class LatestOnlyQueue<T> {
  #running = false;
  #waiting: Waiting<T> | undefined;

  get idle(): boolean {
    return !this.#running && this.#waiting === undefined;
  }

  push(job: () => Promise<T>): Promise<LatestOnlyResult<T>> {
    return new Promise((resolve, reject) => {
      const entry: Waiting<T> = { job, resolve, reject };
      if (this.#running) {
        this.#waiting?.resolve({ status: 'superseded' });
        this.#waiting = entry;
      } else {
        void this.#run(entry);
      }
    });
  }

  async #run(entry: Waiting<T>): Promise<void> {
    this.#running = true;
    try {
      entry.resolve({ status: 'done', value: await entry.job() });
    } catch (error) {
      entry.reject(error);
    }
    const next = this.#waiting;
    this.#waiting = undefined;
    this.#running = false;
    if (next !== undefined) void this.#run(next);
  }
}
