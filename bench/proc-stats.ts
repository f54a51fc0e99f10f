// Linux /proc readers: CPU time and memory of a process and its descendants, CPU busy time of the
// machine. CPU time (utime+stime) is charged only while the process really runs, so CPU per request
// stays comparable on a shared machine where wall-clock throughput drifts.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of every CPU time in /proc. */
export const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100; // the value on every mainstream Linux build
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback; // the process (or thread) has just exited
  }
}

/** The process and all its live descendants (via /proc/<pid>/task/<tid>/children). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const current = out[i] ?? 0;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      for (const child of readOr(`/proc/${current}/task/${tid}/children`, '').split(/\s+/)) if (child) out.push(Number(child));
    }
  }
  return out;
}

/** utime+stime+cutime+cstime in clock ticks; cutime/cstime keep children that exited and were reaped. */
function ownTicks(pid: number): number {
  const stat = readOr(`/proc/${pid}/stat`, '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
}

/** CPU seconds used so far by the process tree rooted at pid. */
export function treeCpuSeconds(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + ownTicks(p), 0) / CLOCK_TICKS;
}

function statusKb(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readOr(`/proc/${pid}/status`, ''));
  return match ? Number(match[1]) : 0;
}

export interface MemoryMb {
  rss: number;
  peak: number;
}

/** Current (VmRSS) and peak (VmHWM) resident memory of the tree, summed, in MB. */
export function treeMemoryMb(pid: number): MemoryMb {
  const tree = processTree(pid);
  const sum = (field: string): number => tree.reduce((total, p) => total + statusKb(p, field), 0) / 1024;
  return { rss: sum('VmRSS'), peak: sum('VmHWM') };
}

/** Resets VmHWM to the current RSS ("5" > clear_refs) so a cell's peak is its own. False if refused. */
export function resetPeakMemory(pid: number): boolean {
  try {
    for (const p of processTree(pid)) writeFileSync(`/proc/${p}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface CpuBusy {
  /** busy seconds, all CPUs together */
  all: number;
  /** busy and total seconds of each CPU, by index */
  perCpu: { busy: number; total: number }[];
}

/** Busy time (everything but idle and iowait) from /proc/stat. */
export function machineCpu(): CpuBusy {
  const perCpu: { busy: number; total: number }[] = [];
  let all = 0;
  for (const line of readOr('/proc/stat', '').split('\n')) {
    const match = /^cpu(\d*)\s+(.*)$/.exec(line);
    if (!match) continue;
    const v = (match[2] ?? '').split(/\s+/).map(Number); // user nice system idle iowait irq softirq steal …
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (v[i] ?? 0), 0);
    if (match[1] === '') all = busy / CLOCK_TICKS;
    else perCpu[Number(match[1])] = { busy: busy / CLOCK_TICKS, total: (busy + idle) / CLOCK_TICKS };
  }
  return { all, perCpu };
}
