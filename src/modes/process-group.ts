/**
 * Process groups, so that a sidecar goes away with everything it started: each sidecar is spawned as the leader
 * of its own group (detached), and ending it signals the whole group. Linux's /proc tells zombies (dead, not yet
 * reaped by their parent) from live members and gives each process's command line; elsewhere only kill(0) answers.
 */
import { readdir, readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** How long a sidecar gets to exit on SIGTERM before the group is sent SIGKILL. */
export const STOP_GRACE_MS = 3000;
/** After SIGKILL, how long we wait for the kernel to finish the group before giving up on watching it. */
const KILL_WAIT_MS = 2000;
const POLL_MS = 50;

/** Sends `signal` to every process of the group; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // kill(-1) would signal every process we may signal, kill(-0) our own group: never a sidecar's.
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    // EPERM: the group exists but is not ours to signal, which still means it exists.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether any process of the group is still alive (zombies do not count: they run nothing). */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return true; // no /proc: kill(0) is all we know
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readStat(Number(entry));
    if (stat !== undefined && stat.pgrp === pgid && runs(stat)) return true;
  }
  return false;
}

/**
 * SIGTERM to the group, SIGKILL to what is left after `graceMs`; resolves once no live process of the group
 * remains (or the kernel did not finish it within a further 2 s, which only a process stuck in the kernel causes).
 */
export async function killProcessGroup(pgid: number, graceMs: number = STOP_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, KILL_WAIT_MS);
}

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (!(await groupAlive(pgid))) return true;
    if (performance.now() >= deadline) return false;
    // A timer that keeps the process alive: at start-up (the stale-sidecar reaper) nothing else does yet, and an
    // unreferenced one let Node exit mid-start with "unsettled top-level await" (exit 13). The wait is bounded.
    await sleep(POLL_MS);
  }
}

/** The argv a live process runs, from /proc/<pid>/cmdline; undefined when it is gone, a zombie, or /proc is absent. */
export function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (raw === '') return undefined; // zombies and kernel threads have none
    const parts = raw.split('\0');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  } catch {
    return undefined;
  }
}

/** Whether a process runs (zombies do not), by /proc when there is one. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return runs(parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')));
  } catch {
    return !existsSync('/proc/self'); // gone since kill(0), unless there is no /proc and kill(0) is all we know
  }
}

/** /proc/<pid>/stat: the fields after the command name, which may itself hold spaces and parentheses. */
interface ProcStat {
  readonly state: string;
  readonly pgrp: number;
}

function parseStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
}

/** Zombies (Z) and the dead (X) run nothing and cannot be signalled away; only their parent can reap them. */
function runs(stat: ProcStat): boolean {
  return stat.state !== 'Z' && stat.state !== 'X';
}

async function readStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined; // gone while we looked
  }
}
