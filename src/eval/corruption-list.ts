/** Parses the comma-separated corruption list of `decorruptor eval --corruptions`. */
import { ALL_CORRUPTION_TYPES, CORRUPTION_TYPES, CorruptionError, type CorruptionType, isCorruptionType } from '../corrupt/index.js';

/**
 * "fog, motion-blur,JPEG_compression" -> ['fog', 'motion_blur', 'jpeg_compression'] (case and '-'
 * forgiven, duplicates dropped). 'all' stands for the 15 standard types, 'extra' for the 4 others.
 * Undefined gives the 15 standard types. Throws CorruptionError naming the unknown entry.
 */
export function parseCorruptionList(text: string | undefined): CorruptionType[] {
  if (text === undefined) return [...CORRUPTION_TYPES];
  const result: CorruptionType[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase().replace(/-/g, '_');
    if (name === '') continue;
    const expanded: readonly CorruptionType[] | null =
      name === 'all' ? CORRUPTION_TYPES : name === 'extra' ? ALL_CORRUPTION_TYPES.slice(CORRUPTION_TYPES.length) : isCorruptionType(name) ? [name] : null;
    if (!expanded) {
      throw new CorruptionError(`unknown corruption '${raw.trim()}'; known: all, extra, ${ALL_CORRUPTION_TYPES.join(', ')}`, 'type');
    }
    for (const type of expanded) if (!result.includes(type)) result.push(type);
  }
  if (result.length === 0) throw new CorruptionError('the corruption list is empty', 'type');
  return result;
}
