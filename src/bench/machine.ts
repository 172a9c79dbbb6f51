/**
 * What the numbers were measured on: a benchmark result means little without the machine, the
 * runtime versions and how busy the machine already was when the run started.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';

export interface MachineInfo {
  cpu_model: string;
  cores: number;
  memory_gb: number;
  node: string;
  onnxruntime: string | null;
  os: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  load_average_at_start: [number, number, number];
}

/** Version of the installed onnxruntime-node, read from its package.json (loads no native code). */
async function onnxruntimeVersion(): Promise<string | null> {
  try {
    const require = createRequire(import.meta.url);
    const manifest = JSON.parse(await readFile(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version?: string };
    return manifest.version ?? null;
  } catch {
    return null;
  }
}

export async function describeMachine(now = new Date()): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [one, five, fifteen] = os.loadavg();
  return {
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntime: await onnxruntimeVersion(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: now.toISOString(),
    load_average_at_start: [round2(one), round2(five), round2(fifteen)],
  };
}

/** One line for the top of the report. */
export function machineLine(machine: MachineInfo): string {
  const load = machine.load_average_at_start.join(' ');
  return (
    `machine: ${machine.cpu_model}, ${machine.cores} cores, ${machine.memory_gb} GB; node ${machine.node}; ` +
    `onnxruntime ${machine.onnxruntime ?? '?'}; ${machine.os}; ${machine.date}; load average at start ${load}`
  );
}

/**
 * A warning when the machine was already busy (load average above half its cores): timings taken
 * then measure the contention as much as the pipeline.
 */
export function busyMachineWarning(machine: MachineInfo): string | null {
  const [oneMinute] = machine.load_average_at_start;
  if (oneMinute <= machine.cores / 2) return null;
  return `the machine was busy when the run started (1-min load average ${oneMinute} on ${machine.cores} cores): timings are not representative`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
