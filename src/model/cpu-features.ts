/**
 * Whether this CPU has int8 dot-product instructions, the ones onnxruntime's quantized kernels
 * need to be clearly faster than fp32: VNNI (AVX512-VNNI, AVX-VNNI) or AMX on x86, the dot-product
 * extension on Arm. Without them int8 runs on widening multiplies and gains little or nothing.
 */
import { readFileSync } from 'node:fs';

const INT8_DOT_FLAGS = ['amx_int8', 'avx512_vnni', 'avx_vnni', 'asimddp', 'i8mm'] as const;

let cached: string[] | undefined;

/** The int8 dot-product instruction sets of this CPU, by their /proc/cpuinfo flag names (empty where unknown). */
export function int8DotInstructions(cpuinfo?: string): string[] {
  if (cpuinfo === undefined && cached !== undefined) return cached;
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      text = ''; // not Linux: unknown, so treated as absent
    }
  }
  const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
  const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
  const found = INT8_DOT_FLAGS.filter((flag) => flags.has(flag));
  if (cpuinfo === undefined) cached = found;
  return found;
}
