// Starts the two helper processes every run needs: the mock upstream (load CPU) and the bare undici
// proxy (target CPU). Both announce their port on stdout and must answer a real request before use.
import { fileURLToPath } from 'node:url';
import { CHAT_PATH } from './bench-request.ts';
import { ManagedChild } from './managed-child.ts';
import { pinnedCommand } from './pinning.ts';
import { waitReady } from './wait-ready.ts';
import type { Pinning } from './pinning.ts';
import type { Target, TargetName } from './target.ts';

async function startScript(name: TargetName, script: string, env: NodeJS.ProcessEnv, cpu: number, pinning: Pinning, timeoutMs: number): Promise<Target> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const { command, args } = pinnedCommand(pinning, cpu, process.execPath, [path]);
  const child = new ManagedChild({ name, command, args, env: { ...process.env, ...env } });
  const { port } = await child.firstJsonLine<{ port: number }>(timeoutMs);
  const url = `http://127.0.0.1:${port}${CHAT_PATH}`;
  await waitReady(name, url, child, timeoutMs);
  return { name, url, child };
}

/** The mock upstream, measured as the `direct` target. */
export function startMock(pinning: Pinning, timeoutMs: number): Promise<Target> {
  return startScript('direct', 'mock-upstream.ts', { PORT: '0', SSE_CHUNKS: '50', SSE_DELAY_MS: '10' }, pinning.loadCpu, pinning, timeoutMs);
}

export function startBareProxy(upstreamBase: string, pinning: Pinning, timeoutMs: number): Promise<Target> {
  return startScript('bare-proxy', 'bare-proxy.ts', { PORT: '0', UPSTREAM: upstreamBase }, pinning.targetCpu, pinning, timeoutMs);
}
