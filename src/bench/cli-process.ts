/**
 * The bench measures the real commands as a user runs them: `decorruptor run` and
 * `decorruptor serve` in a child process (the built dist/cli/main.js, or src/cli/main.ts through
 * tsx when the bench itself runs from the sources). The child's peak RSS is polled from /proc.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BenchError } from './errors.js';
import { ChildPeakRss } from './memory.js';

const STDERR_KEEP_CHARS = 64 * 1024;

/** node + arguments that start this build's CLI (same extension as this module: .js built, .ts under tsx). */
export function cliCommand(): { file: string; args: string[] } {
  const fromSources = import.meta.url.endsWith('.ts');
  const main = fileURLToPath(new URL(`../cli/main.${fromSources ? 'ts' : 'js'}`, import.meta.url));
  return { file: process.execPath, args: fromSources ? ['--import', 'tsx', main] : [main] };
}

type CliSubprocess = ChildProcessByStdio<null, Readable, Readable>;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class CliChild {
  readonly process: CliSubprocess;
  readonly pid: number;
  readonly exited: Promise<ChildExit>;
  readonly #memory: ChildPeakRss;
  readonly #description: string;
  #stderr = '';
  #exit: ChildExit | undefined;

  private constructor(child: CliSubprocess, description: string) {
    this.process = child;
    this.pid = child.pid!;
    this.#description = description;
    this.#memory = new ChildPeakRss(this.pid);
    child.stderr.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-STDERR_KEEP_CHARS);
    });
    this.exited = new Promise<ChildExit>((resolve) => {
      const settle = (exit: ChildExit) => {
        if (this.#exit) return;
        this.#memory.stop();
        this.#exit = exit;
        resolve(exit);
      };
      // 'close', not 'exit': after 'exit' the end of stderr may still be unread, and failures quote it.
      child.on('close', (code, signal) => settle({ code, signal }));
      // A process that could not be spawned emits 'error' and never 'close'.
      child.on('error', (error) => {
        this.#stderr += `\n${error.message}`;
        settle({ code: null, signal: null });
      });
    });
  }

  /** Starts `decorruptor <args>`; stdout stays readable on `process.stdout` (call resume() if unused). */
  static start(args: string[]): CliChild {
    const { file, args: prefix } = cliCommand();
    const child = spawn(file, [...prefix, ...args], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new BenchError('BENCH_CHILD_FAILED', `could not start decorruptor ${args[0]}`);
    return new CliChild(child, `decorruptor ${args[0]}`);
  }

  /** What the child wrote on stderr (the last 64 KiB). */
  get stderr(): string {
    return this.#stderr;
  }

  /** Peak RSS (VmHWM) of the child process, MiB. */
  get peakRssMb(): number | null {
    this.#memory.sample();
    return this.#memory.peakMb;
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves with the first match of `pattern` in stderr; fails if the child exits or the time runs out first. */
  async waitForStderr(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.#stderr);
      if (match) return match;
      if (this.#exit) throw this.failure(`exited (${this.#exit.code ?? this.#exit.signal}) before ${what}`);
      if (performance.now() > deadline) throw this.failure(`did not report ${what} within ${timeoutMs} ms`);
      await delay(50);
    }
  }

  /** An error naming this child and quoting the end of its stderr. */
  failure(problem: string): BenchError {
    const tail = this.#stderr.trim().split('\n').slice(-15).join('\n');
    return new BenchError('BENCH_CHILD_FAILED', `${this.#description} ${problem}${tail ? `; its stderr ends with:\n${tail}` : ''}`);
  }

  /** Sends SIGTERM (a clean shutdown), then SIGKILL after `graceMs`; resolves when the child is gone. */
  async stop(graceMs = 15_000): Promise<ChildExit> {
    if (this.#exit) return this.#exit;
    this.#memory.sample();
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!this.#exit) this.process.kill('SIGKILL');
    }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** `await delay(ms)`: node's promise timer, for the bench scenarios too. */
export { delay };
