// Waits (briefly, within a per-run budget) until processes this harness did not start stop using the
// CPU, so a cell does not begin in the middle of someone else's test run on a shared machine.
import { sleep } from './managed-child.ts';
import { machineCpu, treeCpuSeconds } from './proc-stats.ts';

const PROBE_MS = 300;
const MAX_WAIT_PER_CELL_S = 8;

/** Cores used by foreign processes over one short probe. */
async function foreignCores(): Promise<number> {
  const busy0 = machineCpu().all;
  const ours0 = treeCpuSeconds(process.pid);
  await sleep(PROBE_MS);
  return Math.max(0, (machineCpu().all - busy0 - (treeCpuSeconds(process.pid) - ours0)) / (PROBE_MS / 1000));
}

/** Seconds actually waited; `budgetS.left` is shared by every cell of the run and shrinks. */
export async function waitForQuiet(maxCores: number, budgetS: { left: number }): Promise<number> {
  const start = performance.now();
  const limit = Math.min(MAX_WAIT_PER_CELL_S, budgetS.left);
  while ((performance.now() - start) / 1000 < limit && (await foreignCores()) > maxCores) {
    // keep probing: each probe is itself the wait
  }
  const waited = (performance.now() - start) / 1000;
  budgetS.left = Math.max(0, budgetS.left - waited);
  return waited;
}
