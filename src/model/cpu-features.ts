/**
 * Facts about this CPU that choose how models run, read from /proc/cpuinfo:
 * - whether it has int8 dot-product instructions, the ones onnxruntime's quantized kernels need to
 *   be clearly faster than fp32: VNNI (AVX512-VNNI, AVX-VNNI) or AMX on x86, the dot-product
 *   extension on Arm. Without them int8 runs on widening multiplies and gains little or nothing;
 * - how many physical cores this process may use, the default for onnxruntime's intra-op threads.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const INT8_DOT_FLAGS = ['amx_int8', 'avx512_vnni', 'avx_vnni', 'asimddp', 'i8mm'] as const;

let cached: string[] | undefined;

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return ''; // not Linux: unknown
  }
}

/** The int8 dot-product instruction sets of this CPU, by their /proc/cpuinfo flag names (empty where unknown). */
export function int8DotInstructions(cpuinfo?: string): string[] {
  if (cpuinfo === undefined && cached !== undefined) return cached;
  const text = cpuinfo ?? readCpuinfo();
  const line = text.split('\n').find((l) => /^(flags|Features)\s*:/.test(l)) ?? '';
  const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
  const found = INT8_DOT_FLAGS.filter((flag) => flags.has(flag));
  if (cpuinfo === undefined) cached = found;
  return found;
}

/**
 * Physical cores this process may use: distinct (physical id, core id) pairs, at most the CPUs its
 * affinity allows; every allowed CPU where /proc/cpuinfo does not say (Arm, not Linux).
 * onnxruntime's own default on Linux is half the logical CPUs, which assumes two hardware threads
 * per core: on a 2-core VM without them it runs every model on one thread (a batch of 16 through
 * the classifier took 20.8 ms on its default, 11.5 ms on two threads).
 */
export function physicalCoreCount(cpuinfo?: string): number {
  const allowed = availableParallelism();
  const cores = new Set<string>();
  for (const block of (cpuinfo ?? readCpuinfo()).split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(\\S+)`, 'm').exec(block)?.[1];
    const core = field('core id');
    if (core !== undefined) cores.add(`${field('physical id') ?? 0}:${core}`);
  }
  return cores.size === 0 ? allowed : Math.min(cores.size, allowed);
}
