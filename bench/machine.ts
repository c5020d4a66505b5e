// What the numbers were measured on: CPU, cores, memory, Node, and how busy
// the machine already was (benchmarks on a shared machine must say so).

import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs this process may use. */
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1, 5 and 15 minute load averages. */
  loadAverage: [number, number, number];
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function machineInfo(): MachineInfo {
  const [l1, l5, l15] = loadavg();
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: [l1!, l5!, l15!],
  };
}

export function formatLoad(l: readonly number[]): string {
  return l.map((x) => x.toFixed(2)).join(' / ');
}

/** The machine as a side-by-side bench starts: logged first, so a run on a busy machine says so at once. */
export function announceMachine(log: (line: string) => void): MachineInfo {
  const machine = machineInfo();
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, load ${formatLoad(machine.loadAverage)}`);
  return machine;
}
