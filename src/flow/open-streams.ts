/**
 * Opening the configured sources of `serve`. A source that cannot be opened (a file that ffprobe
 * rejects, an unusable URL, a bad corruption spec) is reported and left out, so that one bad camera
 * never takes the others down. When no source can be opened there is nothing to serve:
 * AllSourcesFailedError, and the command exits 1 naming every source and its problem.
 * (`run` replays one source and opens it directly: its problem is the command's error.)
 */
import type { SourceConfig } from '../config/index.js';

/** A source that could not be opened, or that gave up while running. */
export interface SourceFailure {
  sourceId: string;
  url: string;
  /** The error's own stable code (SOURCE_UNREADABLE, CORRUPTION_INVALID...), else SOURCE_OPEN_FAILED. */
  code: string;
  error: Error;
}

export interface OpenedStreams<T> {
  opened: T[];
  failures: SourceFailure[];
}

/** Every source failed (at open, or later by giving up): the process has nothing left to do. */
export class AllSourcesFailedError extends Error {
  readonly code = 'ALL_SOURCES_FAILED';
  readonly failures: readonly SourceFailure[];

  constructor(failures: readonly SourceFailure[]) {
    const lines = failures.map((f) => `  - ${f.error.message.split('\n')[0]} [${f.code}]`);
    super(`no source could run (${failures.length}):\n${lines.join('\n')}`);
    this.name = 'AllSourcesFailedError';
    this.failures = failures;
  }
}

/**
 * Opens every source (all at once: ffprobe runs in parallel) and keeps the config order.
 * @throws the source's own error when the only source fails; AllSourcesFailedError when several
 *   all fail. With `allowNone` (streams may be added later), failures are only reported.
 */
export async function openStreams<T>(
  sources: readonly SourceConfig[],
  open: (source: SourceConfig) => Promise<T>,
  { allowNone = false }: { allowNone?: boolean } = {},
): Promise<OpenedStreams<T>> {
  const results = await Promise.allSettled(sources.map((source) => open(source)));
  const opened: T[] = [];
  const failures: SourceFailure[] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') opened.push(result.value);
    else failures.push(sourceFailure(sources[i]!, result.reason));
  });
  if (opened.length === 0 && failures.length > 0 && !allowNone) throw failures.length === 1 ? failures[0]!.error : new AllSourcesFailedError(failures);
  return { opened, failures };
}

export function sourceFailure(source: Pick<SourceConfig, 'id' | 'url'>, reason: unknown): SourceFailure {
  const error = reason instanceof Error ? reason : new Error(String(reason));
  const code = (error as { code?: unknown }).code;
  return { sourceId: source.id, url: source.url, code: typeof code === 'string' ? code : 'SOURCE_OPEN_FAILED', error };
}
