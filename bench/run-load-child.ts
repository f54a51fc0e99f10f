// Harness side of the load protocol (see await-go.ts): starts a load child (json-load.ts or
// stream-load.ts) on the load CPU, waits for its warm-up to finish and returns the function that
// lets it run the measured load and yields its JSON summary (the last stdout line). Bounded twice:
// the child stops by itself, and it is killed here if it overruns `timeoutMs`.
import { fileURLToPath } from 'node:url';
import { ManagedChild } from './managed-child.ts';
import { pinnedCommand } from './pinning.ts';
import type { Pinning } from './pinning.ts';

export type LoadScript = 'json-load.ts' | 'stream-load.ts';

async function collect<T>(script: LoadScript, child: ManagedChild, timeoutMs: number): Promise<T> {
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const exit = await child.closed;
  clearTimeout(timer);
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (exit !== 0 || !line.startsWith('{') || line.includes('"warm"')) throw new Error(`${script} failed (exit ${exit}):\n${child.stderrTail()}`);
  return JSON.parse(line) as T;
}

export async function warmLoad<T>(script: LoadScript, spec: object, timeoutMs: number, pinning: Pinning): Promise<() => Promise<T>> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const { command, args } = pinnedCommand(pinning, pinning.loadCpu, process.execPath, [path, JSON.stringify(spec)]);
  const child = new ManagedChild({ name: script, command, args });
  const result = collect<T>(script, child, timeoutMs);
  result.catch(() => undefined); // awaited below or by the caller; this only keeps an early failure from being "unhandled"
  await Promise.race([child.firstJsonLine(timeoutMs), result]); // {"warm":true}, or the child's failure
  return () => {
    child.process.stdin?.write('go\n');
    return result;
  };
}
