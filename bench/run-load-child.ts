// Runs one load child (json-load.ts or stream-load.ts) on the load CPU and returns its JSON summary.
// Bounded twice: the child stops by itself, and it is killed here if it overruns `timeoutMs`.
import { fileURLToPath } from 'node:url';
import { ManagedChild } from './managed-child.ts';
import { pinnedCommand } from './pinning.ts';
import type { Pinning } from './pinning.ts';

export async function runLoadChild<T>(script: 'json-load.ts' | 'stream-load.ts', spec: object, timeoutMs: number, pinning: Pinning): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const { command, args } = pinnedCommand(pinning, pinning.loadCpu, process.execPath, [path, JSON.stringify(spec)]);
  const child = new ManagedChild({ name: script, command, args });
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const exit = await child.closed;
  clearTimeout(timer);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (exit !== 0 || !line.startsWith('{')) throw new Error(`${script} failed (exit ${exit}):\n${child.stderrTail()}`);
  return JSON.parse(line) as T;
}
