import { MemoryLimiter } from '../../src/limits/memory-limiter.ts';
import { runLimiterContract, type MakeLimiter } from './limiter.contract.ts';

/** Every limiter adapter; the Redis one runs against the machine's real Redis on its own key prefix. */
const ADAPTERS: ReadonlyArray<readonly [name: string, make: MakeLimiter]> = [
  ['memory', async () => {
    let now = 1_800_000_000_000;
    return { limiter: new MemoryLimiter(() => now), advance: (ms) => { now += ms; }, now: () => now, close: async () => {} };
  }],
];

for (const [name, make] of ADAPTERS) runLimiterContract(name, make);
