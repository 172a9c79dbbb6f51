import { ConfigError } from '../config/index.js';

/** Bad command-line usage: exit status 2, like a bad configuration. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function exitCodeFor(error: unknown): number {
  return error instanceof UsageError || error instanceof ConfigError ? 2 : 1;
}

export function formatError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !(error instanceof UsageError) ? `${error.message} [${code}]` : error.message;
  }
  return String(error);
}
