// CPU pinning with taskset: the process under test gets CPU 1 to itself, the load generator, the mock
// upstream and this harness share CPU 0, so the target never fights the load for a core (same layout
// as shared/bench). Without taskset or with one CPU everything runs unpinned and the report says so.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Pinning {
  enabled: boolean;
  /** one line for the report */
  note: string;
  loadCpu: number;
  targetCpu: number;
}

export function detectPinning(): Pinning {
  const base = { loadCpu: 0, targetCpu: 1 };
  if (process.env.BENCH_PIN === '0') return { ...base, enabled: false, note: 'unpinned (BENCH_PIN=0)' };
  if (availableParallelism() < 2) return { ...base, enabled: false, note: 'unpinned (only one CPU)' };
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
  } catch {
    return { ...base, enabled: false, note: 'unpinned (taskset not found): target and load share both CPUs, ratios are noisier' };
  }
  return { ...base, enabled: true, note: 'taskset: process under test on CPU 1; load generator, mock upstream and harness on CPU 0' };
}

/** The command line that runs `command args` on one CPU (or unchanged when pinning is off). */
export function pinnedCommand(pinning: Pinning, cpu: number, command: string, args: string[]): { command: string; args: string[] } {
  return pinning.enabled ? { command: 'taskset', args: ['-c', String(cpu), command, ...args] } : { command, args };
}

/** Pins this harness (all its threads) to the load CPU; children inherit it unless pinned elsewhere. */
export function pinSelf(pinning: Pinning): void {
  if (pinning.enabled) execFileSync('taskset', ['-a', '-p', '-c', String(pinning.loadCpu), String(process.pid)], { stdio: 'ignore' });
}
