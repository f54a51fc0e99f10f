import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayProcess } from './gateway-process.ts';

/** Milliseconds until `ok` holds for every replica (polled every 10 ms), or fails after 5 s. */
export async function timeUntilAll(replicas: readonly GatewayProcess[], ok: (r: GatewayProcess) => Promise<boolean>, what: string): Promise<number> {
  const started = performance.now();
  const pending = new Set(replicas);
  while (pending.size > 0) {
    for (const r of [...pending]) if (await ok(r)) pending.delete(r);
    if (performance.now() - started > 5000) assert.fail(`${what}: ${pending.size} replica(s) still behind after 5 s`);
    if (pending.size > 0) await sleep(10);
  }
  return performance.now() - started;
}
