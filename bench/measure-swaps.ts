// Configuration swaps under load: a non-streaming cell on Switchboard while the harness changes the configuration
// through the admin API every 100 ms. Every change is a new version swapped in under the requests in flight;
// none of them may fail, and the cost per request should stay that of the plain cell.
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KEY } from './bench-request.ts';
import type { BenchConfig } from './bench-config.ts';
import { measureJsonCell, type JsonCell } from './measure-json.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';

export interface SwapCell {
  /** The same cell without swaps, measured just before: the run's state (database size, heap) is the same. */
  readonly control: JsonCell;
  readonly cell: JsonCell;
  /** Versions made during the cell. */
  readonly swaps: number;
  /** Admin writes that did not answer 200. */
  readonly swapFailures: number;
  readonly intervalMs: number;
}

const INTERVAL_MS = 100;

export async function measureSwapCell(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy): Promise<SwapCell> {
  const control = await measureJsonCell(target, c, config, pinning, noise);
  const url = `${new URL(target.url).origin}/api/config`;
  const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
  let stop = false;
  let swaps = 0;
  let swapFailures = 0;
  const writer = (async () => {
    // Each change gives a new routing state (catalogue, executor, prices) without touching the provider's pool.
    for (let i = 0; !stop; i++) {
      const body = JSON.stringify({ routing: { defaultMaxTokens: 1000 + (i % 500) }, pricing: { [`bench-model-${i % 7}`]: { inputPerMTok: 1, outputPerMTok: 2 } } });
      try {
        const res = await fetch(url, { method: 'PATCH', headers, body });
        await res.arrayBuffer();
        if (res.status === 200) swaps++;
        else swapFailures++;
      } catch {
        swapFailures++;
      }
      await sleep(INTERVAL_MS);
    }
  })();
  try {
    return { control, cell: await measureJsonCell(target, c, config, pinning, noise), swaps, swapFailures, intervalMs: INTERVAL_MS };
  } finally {
    stop = true;
    await writer;
  }
}
