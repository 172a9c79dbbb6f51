/**
 * Peak resident memory. A child process's peak is the kernel's high-water mark (VmHWM in
 * /proc/PID/status), polled while it runs because /proc/PID disappears when it exits. The bench
 * process runs the ceiling's inference worker itself, so for its phases the peak is sampled from
 * process.memoryUsage().rss (the worker thread's memory is part of it).
 */
import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;

/** VmHWM of a process in MiB, or null when it is gone (or not on Linux). */
export function readPeakRssMb(pid: number | 'self'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Polls a child's VmHWM until stopped; `peakMb` is the last value read (VmHWM never decreases). */
export class ChildPeakRss {
  readonly #pid: number;
  readonly #timer: NodeJS.Timeout;
  #peakMb: number | null = null;

  constructor(pid: number, intervalMs = 200) {
    this.#pid = pid;
    this.#timer = setInterval(() => this.sample(), intervalMs).unref();
    this.sample();
  }

  /** Reads VmHWM now (call it just before stopping the child, too). */
  sample(): void {
    const value = readPeakRssMb(this.#pid);
    if (value !== null) this.#peakMb = Math.max(this.#peakMb ?? 0, value);
  }

  get peakMb(): number | null {
    return this.#peakMb;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** Samples this process's RSS (main thread + workers) until stopped; the peak over that phase. */
export class OwnPeakRss {
  readonly #timer: NodeJS.Timeout;
  #peakBytes = process.memoryUsage.rss();

  constructor(intervalMs = 100) {
    this.#timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  sample(): void {
    this.#peakBytes = Math.max(this.#peakBytes, process.memoryUsage.rss());
  }

  /** Stops sampling and returns the peak in MiB. */
  stop(): number {
    this.sample();
    clearInterval(this.#timer);
    return Math.round((this.#peakBytes / MIB) * 10) / 10;
  }
}
