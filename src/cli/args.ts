/** Thin wrapper over node:util parseArgs that turns its errors into UsageErrors (exit status 2). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends OptionSpec>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Parses an integer option, naming the flag when it is not one. */
export function intOption(value: string | undefined, flag: string, min = -Infinity, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag}: expected an integer${Number.isFinite(min) ? ` >= ${min}` : ''}${Number.isFinite(max) ? ` and <= ${max}` : ''}, got "${value}"`);
  }
  return n;
}

/** `--motion-gate on|off` as a config override of `motionGate.enabled`. */
export function motionGateOption(value: string | undefined): { enabled: boolean } | undefined {
  if (value === undefined) return undefined;
  if (value !== 'on' && value !== 'off') throw new UsageError(`--motion-gate: expected on or off, got "${value}"`);
  return { enabled: value === 'on' };
}

/**
 * `--smoothing off | ema[:HALF_LIFE_MS] | window[:FRAMES]` as a config override of `smoothing`.
 * The value's range is checked by the config schema, which names the field.
 */
export function smoothingOption(value: string | undefined): { mode?: 'off' | 'ema' | 'window'; halfLifeMs?: number; window?: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(off|ema|window)(?::(\d+(?:\.\d+)?))?$/.exec(value);
  if (!match || (match[1] === 'off' && match[2] !== undefined)) {
    throw new UsageError(`--smoothing: expected off, ema[:half-life ms] or window[:frames], got "${value}"`);
  }
  const mode = match[1] as 'off' | 'ema' | 'window';
  const amount = match[2] === undefined ? undefined : Number(match[2]);
  if (mode === 'ema') return { mode, ...(amount === undefined ? {} : { halfLifeMs: amount }) };
  if (mode === 'window') return { mode, ...(amount === undefined ? {} : { window: amount }) };
  return { mode };
}
