// The limit-and-budget decision alone, in the bench process: what the tenancy issue's bars are about, without the
// noise of a whole request around it. One request's checks as the limits phase configures them (tier, key and
// workspace windows, tokens per minute, concurrency, a daily budget), made, admitted and settled as the gateway
// does it (request-checks, budget-checks, Admissions). Memory: µs per decision in a tight loop. Redis: CPU time
// of this process per request with 64 decisions in flight at a time — the client's share, socket writes and reads
// included — and the script calls Redis ran per request.
import { Redis } from 'ioredis';
import { budgetChecks } from '../src/budgets/budget-checks.ts';
import { limitsSchema } from '../src/config/limits-schema.ts';
import { Admissions, type AdmissionPolicy } from '../src/limits/admissions.ts';
import type { AdmitRequest } from '../src/limits/limiter.ts';
import { MemoryLimiter } from '../src/limits/memory-limiter.ts';
import { RedisLimiter } from '../src/limits/redis-limiter.ts';
import { requestChecks } from '../src/limits/request-checks.ts';
import { testPrincipal } from '../test/support/principal-factory.ts';

export interface DecisionFigures {
  /** µs per admission + settlement on the memory adapter. */
  readonly memoryUs: number;
  /** This process's CPU µs per request on the Redis adapter at `inFlight` decisions at a time; null without Redis. */
  readonly redisCpuUs: number | null;
  /** Script calls Redis ran per request (admissions and settlements batched together); null without Redis. */
  readonly redisCallsPerRequest: number | null;
  readonly inFlight: number;
  readonly checks: number;
}

const HIGH = 1_000_000_000;
const LIMITS = limitsSchema.parse({ enabled: true, tiers: { api_key: { requestsPerHour: HIGH } }, perKey: { requestsPerMinute: HIGH } });
const WORKSPACE = { rateLimits: { requestsPerMinute: HIGH, tokensPerMinute: HIGH, concurrentRequests: 100_000 }, budgetLimits: { daily: HIGH } };
const PRINCIPAL = testPrincipal({ keyId: 'bench-key', workspaceId: 'bench' });
const POLICY: AdmissionPolicy = { onStoreError: 'open', storeTimeoutMs: 1000 };
const MEMORY_ITERATIONS = 200_000;
const REDIS_REQUESTS = 20_000;
const IN_FLIGHT = 64;

/** One request's admission, as admission-hook.ts builds it. */
function admitRequest(id: string): AdmitRequest {
  const base = requestChecks(LIMITS, { requestId: id, principal: PRINCIPAL, model: 'gpt-4o-mini', workspace: WORKSPACE, tokens: 120 });
  if (base === null) throw new Error('the bench key must be limited');
  return { ...base, checks: [...base.checks, ...budgetChecks(WORKSPACE.budgetLimits, 900, Date.now(), LIMITS.budgetTimeZone)] };
}

function memoryUs(): number {
  const admissions = new Admissions({ local: new MemoryLimiter() });
  const once = (i: number): void => {
    const id = `m${i}`;
    void admissions.admit(admitRequest(id), POLICY);
    admissions.settle(id, { tokens: 80, costMicroUsd: 600 });
  };
  for (let i = 0; i < MEMORY_ITERATIONS / 4; i++) once(i);
  const started = performance.now();
  for (let i = 0; i < MEMORY_ITERATIONS; i++) once(i + MEMORY_ITERATIONS);
  return ((performance.now() - started) * 1000) / MEMORY_ITERATIONS;
}

async function redisFigures(url: string, prefix: string): Promise<{ cpuUs: number; callsPerRequest: number }> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5000, lazyConnect: true });
  const counter = new Redis(url, { lazyConnect: true });
  await Promise.all([client.connect(), counter.connect()]);
  const admissions = new Admissions({ local: new MemoryLimiter(), shared: new RedisLimiter({ redis: client, keyPrefix: prefix }) });
  let next = 0;
  // Closed loop, as autocannon drives the gateway: each of IN_FLIGHT workers admits, then settles, then goes on.
  const worker = async (count: number): Promise<void> => {
    for (let n = 0; n < count; n++) {
      const id = `r${next++}`;
      const admission = await admissions.admit(admitRequest(id), POLICY);
      if (!admission.ok) throw new Error(`the bench's limits refused a request (${admission.refusedBy.key})`);
      admissions.settle(id, { tokens: 80, costMicroUsd: 600 });
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker(REDIS_REQUESTS / 10 / IN_FLIGHT)));
    const before = await scriptCalls(counter);
    const cpu = process.cpuUsage();
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker(REDIS_REQUESTS / IN_FLIGHT)));
    const used = process.cpuUsage(cpu);
    // The last settlements ride on a timer: let them go before counting.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const calls = (await scriptCalls(counter)) - before;
    return { cpuUs: (used.user + used.system) / REDIS_REQUESTS, callsPerRequest: calls / REDIS_REQUESTS };
  } finally {
    await admissions.close();
    client.disconnect();
    counter.disconnect();
  }
}

async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/** `redis`: the limits phase's own redis-server, or undefined when it could not start. */
export async function measureDecision(redis?: { url: string; prefix: string }): Promise<DecisionFigures> {
  const memory = memoryUs();
  const shared = redis === undefined ? null : await redisFigures(redis.url, `${redis.prefix}decision:`);
  return { memoryUs: memory, redisCpuUs: shared?.cpuUs ?? null, redisCallsPerRequest: shared?.callsPerRequest ?? null, inFlight: IN_FLIGHT, checks: admitRequest('x').checks.length };
}
