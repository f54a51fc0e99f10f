// One measured cell: the target's CPU and memory, the load CPU's load and everybody else's CPU,
// around one bounded load run. A cell disturbed by other tenants of the machine is measured again
// (once, while the run's retry budget lasts) and the cleaner attempt kept; the rest of the noise is
// shown as a number next to the figures it may have spoilt.
import { machineCpu, resetPeakMemory, treeCpuSeconds, treeMemoryMb } from './proc-stats.ts';
import { waitForQuiet } from './quiet-wait.ts';
import type { CpuBusy } from './proc-stats.ts';
import type { Pinning } from './pinning.ts';

export interface Window<T> {
  result: T;
  /** CPU seconds the target's process tree used during the run */
  cpuS: number;
  wallS: number;
  rssMb: number;
  /** VmHWM during the run (reset before it); equals end RSS when the kernel refuses the reset */
  peakMb: number;
  /** % busy of the load CPU (pinned runs only) */
  loadBusyPct: number | null;
  /** cores used by processes this harness did not start */
  otherCores: number;
  attempts: number;
}

interface Snapshot {
  at: number;
  target: number;
  ours: number;
  machine: CpuBusy;
}

function snapshot(pid: number): Snapshot {
  // treeCpuSeconds(process.pid) covers the harness, every live child and every reaped load child
  return { at: performance.now(), target: treeCpuSeconds(pid), ours: treeCpuSeconds(process.pid), machine: machineCpu() };
}

/** Warms up (not measured) and returns the function that runs the measured load. */
export type Prepare<T> = () => Promise<() => Promise<T>>;

async function measureOnce<T>(pid: number, pinning: Pinning, noise: NoisePolicy, prepare: Prepare<T>): Promise<Window<T>> {
  const run = await prepare();
  if (Number.isFinite(noise.maxCores)) await waitForQuiet(noise.maxCores, noise.quietWaitS);
  resetPeakMemory(pid);
  const before = snapshot(pid);
  const result = await run();
  const after = snapshot(pid);
  const wallS = (after.at - before.at) / 1000;
  const load = (s: Snapshot): { busy: number; total: number } => s.machine.perCpu[pinning.loadCpu] ?? { busy: 0, total: 0 };
  const loadTotal = load(after).total - load(before).total;
  const memory = treeMemoryMb(pid);
  return {
    result,
    cpuS: after.target - before.target,
    wallS,
    rssMb: memory.rss,
    peakMb: memory.peak,
    loadBusyPct: pinning.enabled && loadTotal > 0 ? (100 * (load(after).busy - load(before).busy)) / loadTotal : null,
    otherCores: Math.max(0, (after.machine.all - before.machine.all - (after.ours - before.ours)) / wallS),
    attempts: 1,
  };
}

/** Limits for re-measuring noisy cells, shared by every cell of one run. */
export interface NoisePolicy {
  maxCores: number;
  retriesLeft: number;
  /** seconds the run may still spend waiting for other processes to go quiet before cells */
  quietWaitS: { left: number };
}

export async function measureWindow<T>(pid: number, pinning: Pinning, noise: NoisePolicy, prepare: Prepare<T>): Promise<Window<T>> {
  const first = await measureOnce(pid, pinning, noise, prepare);
  if (first.otherCores <= noise.maxCores || noise.retriesLeft <= 0) return first;
  noise.retriesLeft--;
  const second = await measureOnce(pid, pinning, noise, prepare);
  return { ...(second.otherCores < first.otherCores ? second : first), attempts: 2 };
}
