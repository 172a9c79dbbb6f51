/** "type:severity" strings and time schedules of corruptions for test feeds. */
import {
  ALL_CORRUPTION_TYPES,
  CORRUPTION_TYPES,
  type CorruptionType,
  CorruptionError,
  type Severity,
  isCorruptionType,
  isSeverity,
} from './types.js';

export interface CorruptionSpec {
  type: CorruptionType;
  severity: Severity;
}

const EXAMPLE = "expected 'type:severity', e.g. 'fog:4'";

/** Parses "fog:4" (case-insensitive, '-' accepted for '_', spaces trimmed). Throws CorruptionError. */
export function parseCorruptionSpec(text: string): CorruptionSpec {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new CorruptionError(`empty corruption spec; ${EXAMPLE}`, 'spec');
  }
  const parts = text.split(':');
  if (parts.length !== 2) {
    const why = parts.length === 1 ? 'has no severity' : 'has more than one ":"';
    throw new CorruptionError(`corruption spec '${text}' ${why}; ${EXAMPLE}`, 'spec');
  }
  const type = parseCorruptionType(parts[0], text);
  return { type, severity: parseSeverity(parts[1], text) };
}

export function formatCorruptionSpec(spec: CorruptionSpec): string {
  return `${spec.type}:${spec.severity}`;
}

function parseCorruptionType(raw: string, whole: string): CorruptionType {
  const name = raw.trim().toLowerCase().replace(/-/g, '_');
  if (!isCorruptionType(name)) {
    throw new CorruptionError(
      `unknown corruption type '${raw.trim()}' in '${whole}'; known types: ${ALL_CORRUPTION_TYPES.join(', ')}`,
      'type',
    );
  }
  return name;
}

function parseSeverity(raw: string, whole: string): Severity {
  const s = raw.trim();
  const n = /^[0-9]+$/.test(s) ? Number(s) : NaN;
  if (!isSeverity(n)) {
    throw new CorruptionError(`bad severity '${s}' in '${whole}'; severity is an integer from 1 to 5`, 'severity');
  }
  return n;
}

export interface CorruptionSchedule {
  readonly specs: readonly CorruptionSpec[];
  readonly periodMs: number;
  /** Which period tMs falls in: floor(tMs / periodMs), unwrapped (0 for t < periodMs, negatives clamp to 0). */
  segmentAt(tMs: number): number;
  /** The corruption in force at tMs: specs cycle, one per period. */
  at(tMs: number): CorruptionSpec;
}

export interface ScheduleOptions {
  /** Severity for 'cycle' (default 5, the level ImageNet-C/CIFAR-10-C headline numbers use). */
  severity?: Severity;
}

/**
 * A feed schedule that switches corruption every `periodMs`, cycling through `specs`.
 * 'cycle' means the 15 standard types in canonical order at one severity; 'cycle:3' sets it inline.
 */
export function corruptionSchedule(
  specs: readonly string[] | 'cycle' | `cycle:${number}`,
  periodMs: number,
  options: ScheduleOptions = {},
): CorruptionSchedule {
  if (!Number.isFinite(periodMs) || periodMs <= 0) {
    throw new CorruptionError(`schedule period must be a positive number of milliseconds, got ${periodMs}`, 'period');
  }
  const list = typeof specs === 'string' ? cycleSpecs(specs, options) : specs.map(parseCorruptionSpec);
  if (list.length === 0) throw new CorruptionError('a corruption schedule needs at least one spec', 'spec');
  const frozen = Object.freeze(list.map((s) => Object.freeze({ ...s })));
  const segmentAt = (tMs: number): number => (tMs > 0 ? Math.floor(tMs / periodMs) : 0);
  return {
    specs: frozen,
    periodMs,
    segmentAt,
    at: (tMs) => frozen[segmentAt(tMs) % frozen.length],
  };
}

function cycleSpecs(text: string, options: ScheduleOptions): CorruptionSpec[] {
  let severity: Severity = options.severity ?? 5;
  if (text !== 'cycle') {
    const m = /^cycle:(.*)$/.exec(text);
    if (!m) throw new CorruptionError(`unknown schedule '${text}'; expected 'cycle', 'cycle:N' or a list of specs`, 'spec');
    severity = parseSeverity(m[1], text);
  }
  if (!isSeverity(severity)) {
    throw new CorruptionError(`bad severity '${String(severity)}' for 'cycle'; severity is an integer from 1 to 5`, 'severity');
  }
  return CORRUPTION_TYPES.map((type) => ({ type, severity }));
}
