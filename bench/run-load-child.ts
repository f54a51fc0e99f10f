// Runs a load child (json-load.ts or stream-load.ts) on the load CPU and returns its JSON summary
// (the last stdout line). Bounded twice: the child stops by itself, and it is killed here if it
// overruns `timeoutMs`.
import { fileURLToPath } from 'node:url';
import { ManagedChild } from './managed-child.ts';
import { pinnedCommand } from './pinning.ts';
import type { Pinning } from './pinning.ts';

export type LoadScript = 'json-load.ts' | 'stream-load.ts';

export interface LoadRun<T> {
  child: ManagedChild;
  result: Promise<T>;
}

async function collect<T>(script: LoadScript, child: ManagedChild, timeoutMs: number): Promise<T> {
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const exit = await child.closed;
  clearTimeout(timer);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (exit !== 0 || !line.startsWith('{')) throw new Error(`${script} failed (exit ${exit}):\n${child.stderrTail()}`);
  return JSON.parse(line) as T;
}

export function startLoadChild<T>(script: LoadScript, spec: object, timeoutMs: number, pinning: Pinning): LoadRun<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const { command, args } = pinnedCommand(pinning, pinning.loadCpu, process.execPath, [path, JSON.stringify(spec)]);
  const child = new ManagedChild({ name: script, command, args });
  const result = collect<T>(script, child, timeoutMs);
  result.catch(() => undefined); // awaited by the caller; this only keeps an early failure from being "unhandled"
  return { child, result };
}

export function runLoadChild<T>(script: LoadScript, spec: object, timeoutMs: number, pinning: Pinning): Promise<T> {
  return startLoadChild<T>(script, spec, timeoutMs, pinning).result;
}
