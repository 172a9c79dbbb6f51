/**
 * Merging configuration layers (file < environment < command line) while remembering which layer
 * set each value, so that a validation error can say where the bad value came from.
 * Objects merge key by key; arrays and scalars replace what was there; `undefined` sets nothing
 * (an argument parser's unset flags must not erase the file's values).
 */
import { formatPath } from './errors.js';

export interface ConfigLayer {
  /** Shown in error messages: `config/default.json`, `env DECORRUPTOR_PORT`, `command line`. */
  origin: string;
  value: Record<string, unknown>;
}

export interface MergedLayers {
  value: Record<string, unknown>;
  /** The layer that set `path` or its nearest ancestor; `fallback` when no layer did. */
  originOf(path: readonly PropertyKey[], fallback: string): string;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function mergeLayers(layers: readonly ConfigLayer[]): MergedLayers {
  const origins = new Map<string, string>();
  const value: Record<string, unknown> = {};

  const apply = (target: Record<string, unknown>, source: Record<string, unknown>, path: PropertyKey[], origin: string): void => {
    for (const [key, next] of Object.entries(source)) {
      if (next === undefined) continue;
      const childPath = [...path, key];
      if (isPlainObject(next)) {
        const current = target[key];
        const child = isPlainObject(current) ? current : {};
        target[key] = child;
        apply(child, next, childPath, origin);
        if (!origins.has(formatPath(childPath))) origins.set(formatPath(childPath), origin);
      } else {
        forgetBelow(origins, formatPath(childPath));
        target[key] = next;
        origins.set(formatPath(childPath), origin);
      }
    }
  };

  for (const layer of layers) apply(value, layer.value, [], layer.origin);

  return {
    value,
    originOf(path, fallback) {
      for (let n = path.length; n > 0; n--) {
        const found = origins.get(formatPath(path.slice(0, n)));
        if (found !== undefined) return found;
      }
      return fallback;
    },
  };
}

/** A replaced value takes its children's origins with it. */
function forgetBelow(origins: Map<string, string>, prefix: string): void {
  for (const key of origins.keys()) {
    if (key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}[`)) origins.delete(key);
  }
}

/** Builds `{a: {b: value}}` from `['a', 'b']`. */
export function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  let out: unknown = value;
  for (let i = path.length - 1; i >= 0; i--) out = { [path[i]!]: out };
  return out as Record<string, unknown>;
}
