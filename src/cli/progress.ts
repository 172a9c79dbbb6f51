/**
 * A one-line progress bar on stderr, for long commands (eval, run, data downloads):
 *
 *   eval  [##########..........]  1200/3200  245/s  ETA 8s
 *
 * It draws only when stderr is a TTY, so logs, pipes and CI output stay clean; elsewhere every
 * method is a no-op. Redraws are throttled, so calling update() per item costs nothing.
 *
 *   const progress = createProgress({ label: 'eval', total: 3200 });
 *   progress.tick(16);
 *   progress.done();
 */

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Total units; when unknown, the bar shows the count and rate only. */
  total?: number;
  /** Shown before the bar. */
  label?: string;
  /** 'items' (default) counts plainly; 'bytes' shows kB/MB and MB/s. */
  unit?: 'items' | 'bytes';
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Draw even when the stream is not a TTY (tests); default: stream.isTTY. */
  force?: boolean;
  /** Minimum milliseconds between redraws; default 100. */
  intervalMs?: number;
  /** Clock in milliseconds; default performance.now (tests pass a fake). */
  now?: () => number;
}

export interface Progress {
  /** Adds `count` (default 1) done units. */
  tick(count?: number): void;
  /** Sets the done units. */
  update(done: number, total?: number): void;
  /** Draws the final state and ends the line (idempotent). */
  done(): void;
  /** Removes the bar from the screen, e.g. before printing something else (idempotent). */
  clear(): void;
  /** Whether anything is drawn at all. */
  readonly enabled: boolean;
}

const BAR_WIDTH = 20;

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream: ProgressStream = options.stream ?? process.stderr;
  const enabled = options.force ?? stream.isTTY === true;
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 100;
  const unit = options.unit ?? 'items';
  const startedAt = now();
  let total = options.total;
  let count = 0;
  let lastDraw = -Infinity;
  let visible = false;
  let finished = false;

  const draw = (force: boolean): void => {
    if (!enabled || finished) return;
    const t = now();
    if (!force && t - lastDraw < intervalMs) return;
    lastDraw = t;
    const line = formatProgressLine({ label: options.label, done: count, total, elapsedMs: t - startedAt, unit });
    const width = stream.columns || 80; // 0 when the terminal size is unknown
    // \r + clear-to-end redraws in place; cutting to the width stops the terminal from wrapping.
    stream.write(`\r${line.slice(0, Math.max(1, width - 1))}\x1b[K`);
    visible = true;
  };

  return {
    enabled,
    tick(n = 1) {
      count += n;
      draw(false);
    },
    update(done, newTotal) {
      count = done;
      if (newTotal !== undefined) total = newTotal;
      draw(false);
    },
    done() {
      if (!enabled || finished) return;
      draw(true);
      stream.write('\n');
      finished = true;
    },
    clear() {
      if (!enabled || !visible) return;
      stream.write('\r\x1b[K');
      visible = false;
      lastDraw = -Infinity;
    },
  };
}

export interface ProgressLine {
  label?: string | undefined;
  done: number;
  total: number | undefined;
  elapsedMs: number;
  unit: 'items' | 'bytes';
}

/** The text of one progress line (pure; tested on its own). */
export function formatProgressLine({ label, done, total, elapsedMs, unit }: ProgressLine): string {
  const parts: string[] = [];
  if (label) parts.push(label);
  const amount = (n: number) => (unit === 'bytes' ? formatBytes(n) : String(n));
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, done / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`, `${amount(done)}/${amount(total)}`);
  } else {
    parts.push(amount(done));
  }
  parts.push(unit === 'bytes' ? `${formatBytes(rate)}/s` : `${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`);
  if (total !== undefined && total > 0 && rate > 0 && done < total) parts.push(`ETA ${formatDuration(((total - done) / rate) * 1000)}`);
  if (total !== undefined && done >= total) parts.push(`in ${formatDuration(elapsedMs)}`);
  return parts.join('  ');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** 8s, 2m05s, 1h03m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * A bar over a replay's frames, whose count is known only once the source is open (`run`, `run --nats`):
 *
 *   const bar = frameProgress();
 *   startReplay(config, { onOpen: bar.open, extraSinks: [bar.sink] });  ...  bar.done();
 */
export function frameProgress(label = 'frames'): { open(info: { frameCount?: number }): void; sink: { name: string; frame(): void }; done(): void } {
  let progress: Progress | undefined;
  return {
    open: ({ frameCount }) => void (progress = createProgress({ total: frameCount, label })),
    sink: { name: 'progress', frame: () => progress?.tick(1) },
    done: () => progress?.done(),
  };
}
