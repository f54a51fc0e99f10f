/**
 * Rate limits on three replicas sharing one Redis (the test's own redis-server) and one PostgreSQL, as real
 * processes: 2,000 concurrent requests against a workspace limit of 100 a minute let exactly 100 through; when
 * Redis is killed under load no request waits past the store timeout, the configured policy applies (open: each
 * replica limits alone; closed: 503 SB_LIMITER_UNAVAILABLE), and once Redis is back the limit is shared again
 * without restarting anything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { postgresSchemas, TEST_POSTGRES_URL } from '../support/postgres-schemas.ts';
import { startTestRedis, type TestRedis } from '../support/redis-server.ts';
import { timeUntilAll } from '../support/time-until-all.ts';

const ADMIN = 'sb-limits-replica-admin-0123456789';
// The outage cases use the default-like 25 ms. The 2,000-request burst queues some 150 ms of scripts in Redis
// (about 70 µs each) behind which a request is genuinely waiting on the store: it runs with a timeout above that,
// as docs/configuration.md advises for bursts of that size.
const STORE_TIMEOUT_MS = 25;
const BURST_STORE_TIMEOUT_MS = 400;
const dir = mkdtempSync(join(tmpdir(), 'switchboard-limits-replicas-'));
const schemas = postgresSchemas();
const schema = schemas.fresh();
// Enough sockets for 2,000 requests at once, spread over the three replicas.
const dispatcher = new Agent({ connections: 1000, pipelining: 0 });

interface Res { readonly status: number; readonly body: any; readonly ms: number; readonly limiterMs: number }

async function call(base: string, method: string, path: string, body?: unknown, key = ADMIN): Promise<Res> {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(20_000), dispatcher,
  } as RequestInit);
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  const timing = /limits;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
  return { status: res.status, body: parsed, ms: performance.now() - started, limiterMs: timing === null ? 0 : Number(timing[1]) };
}

const CHAT = { model: 'mock', messages: [{ role: 'user', content: 'hi' }] };

describe('rate limits on three replicas sharing one Redis', () => {
  const replicas: GatewayProcess[] = [];
  let redis: TestRedis;
  const keys: Record<string, string> = {};
  /** Changes `limits` through one replica and waits until all three serve the change. */
  const setLimits = async (limits: Record<string, unknown>): Promise<void> => {
    const patched = await call(replicas[0]!.url, 'PATCH', '/api/config', { limits });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await timeUntilAll(replicas, async (r) => (await call(r.url, 'GET', '/api/config')).body.version >= patched.body.version, 'the limits');
  };
  const burst = (workspace: string, n: number) => Promise.all(Array.from({ length: n }, (_, i) => call(replicas[i % 3]!.url, 'POST', '/v1/chat/completions', CHAT, keys[workspace])));

  before(async () => {
    redis = await startTestRedis();
    const env = (name: string) => ({
      DATABASE_URL: TEST_POSTGRES_URL, SWITCHBOARD_DATABASE_SCHEMA: schema, SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, name),
      REDIS_URL: redis.url, SWITCHBOARD_REDIS_PREFIX: `sb-limits-${process.pid}:`,
    });
    replicas.push(await startGatewayProcess(env('a')));
    replicas.push(...await Promise.all([startGatewayProcess(env('b')), startGatewayProcess(env('c'))]));
    const workspaces: Record<string, unknown> = Object.fromEntries(['burst', 'outage', 'resumed', 'closed'].map((w) => [w, { rateLimits: { requestsPerMinute: 100 } }]));
    workspaces.budget = { budgetLimits: { daily: 1 } };
    // $1 per thousand input tokens, $2 per thousand output tokens: a request costs a few cents.
    const pricing = { mock: { inputPerMTok: 1000, outputPerMTok: 2000 } };
    const patched = await call(replicas[0]!.url, 'PATCH', '/api/config', { workspaces, pricing, limits: { storeTimeoutMs: STORE_TIMEOUT_MS } });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    for (const w of Object.keys(workspaces)) keys[w] = (await call(replicas[0]!.url, 'POST', '/api/keys', { name: w, workspaceId: w })).body.key;
    const version = patched.body.version as number;
    await timeUntilAll(replicas, async (r) => (await call(r.url, 'GET', '/api/config')).body.version >= version, 'the limits');
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis.stop();
    await schemas.dropAll();
    await dispatcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets exactly 100 of 2,000 concurrent requests through a limit of 100 a minute, whichever replica they reach', async () => {
    await setLimits({ storeTimeoutMs: BURST_STORE_TIMEOUT_MS });
    const results = await burst('burst', 2000);
    const ok = results.filter((r) => r.status === 200).length;
    const refused = results.filter((r) => r.status === 429);
    assert.equal(ok, 100, `statuses: ${JSON.stringify(countBy(results.map((r) => r.status)))}; ${limiterLines(replicas)}`);
    assert.equal(refused.length, 1900);
    assert.ok(refused.every((r) => r.body.error.code === 'SB_RATE_LIMITED'));
    // Later requests of the same minute are refused too, on every replica.
    for (const r of replicas) assert.equal((await call(r.url, 'POST', '/v1/chat/completions', CHAT, keys.burst)).status, 429);
    await setLimits({ storeTimeoutMs: STORE_TIMEOUT_MS });
  });

  it('never spends more than a $1.00 budget under 500 concurrent requests of random cost spread over the replicas', async () => {
    await setLimits({ storeTimeoutMs: BURST_STORE_TIMEOUT_MS });
    let seed = 11;
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return 1 + (seed % n); };
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => call(replicas[i % 3]!.url, 'POST', '/v1/chat/completions', {
      model: 'mock', max_tokens: random(40), messages: [{ role: 'user', content: 'tell me more '.repeat(random(6)) }],
    }, keys.budget)));
    let served = results.filter((r) => r.status === 200).length;
    assert.ok(results.every((r) => r.status === 200 || (r.status === 402 && r.body.error.code === 'SB_BUDGET_EXCEEDED')), `statuses: ${JSON.stringify(countBy(results.map((r) => r.status)))}`);
    // Each replica writes its records in batches: wait until all of them are in PostgreSQL.
    let requests: Array<{ requestId: string; costUsd: number }> = [];
    for (let i = 0; i < 100 && requests.length < served; i++) {
      requests = ((await call(replicas[0]!.url, 'GET', '/api/usage?workspace_id=budget&limit=1000')).body.data as Array<{ kind: string; requestId: string; costUsd: number }>).filter((r) => r.kind === 'request');
      if (requests.length < served) await sleep(100);
    }
    assert.equal(requests.length, served);
    assert.equal(new Set(requests.map((r) => r.requestId)).size, served, 'no request billed twice');
    const burst = requests.reduce((sum, r) => sum + r.costUsd, 0);
    assert.ok(burst <= 1 && served > 0 && served < 500, `spent $${burst} over ${served} requests`);
    // Then one request after another, round the replicas: what is left is spent, up to one request's worst case
    // (about $0.13: the body's bytes at the input price, 5 tokens of output) short of the limit.
    // A refusal may still see reservations whose settlement (after each answer, off its path) is under way on
    // another replica: only a second refusal, a moment later, ends the loop.
    for (let i = 0, refusals = 0; i < 200 && refusals < 2; i++) {
      const r = await call(replicas[i % 3]!.url, 'POST', '/v1/chat/completions', { model: 'mock', max_tokens: 5, messages: [{ role: 'user', content: 'tell me more ' }] }, keys.budget);
      if (r.status === 200) {
        served++;
        refusals = 0;
      } else {
        refusals++;
        await sleep(300);
      }
    }
    for (let i = 0; i < 100 && requests.length < served; i++) {
      requests = ((await call(replicas[0]!.url, 'GET', '/api/usage?workspace_id=budget&limit=1000')).body.data as Array<{ kind: string; requestId: string; costUsd: number }>).filter((r) => r.kind === 'request');
      if (requests.length < served) await sleep(100);
    }
    assert.equal(new Set(requests.map((r) => r.requestId)).size, served, 'no request billed twice');
    const spent = requests.reduce((sum, r) => sum + r.costUsd, 0);
    assert.ok(spent <= 1 && spent > 0.85, `spent $${spent} over ${served} requests`);
    await setLimits({ storeTimeoutMs: STORE_TIMEOUT_MS });
  });

  it('keeps answering within the store timeout while Redis is down (open: each replica limits alone), and shares limits again once it is back', async () => {
    // Before the outage: the shared count works.
    assert.equal((await burst('outage', 30)).filter((r) => r.status === 200).length, 30);
    const during: Res[] = [];
    await redis.stop();
    try {
      for (let round = 0; round < 5; round++) during.push(...await burst('outage', 60));
    } finally {
      await redis.start();
    }
    assert.ok(during.every((r) => r.status === 200 || r.status === 429), `statuses: ${JSON.stringify(countBy(during.map((r) => r.status)))}`);
    // 300 requests over three replicas judged alone: each lets its own 100 through.
    assert.equal(during.filter((r) => r.status === 200).length, 300, `statuses: ${JSON.stringify(countBy(during.map((r) => r.status)))}`);
    // What the limiter decision took, as each replica measured it (Server-Timing): at most the timeout plus 50 ms.
    const slowest = Math.max(...during.map((r) => r.limiterMs));
    assert.ok(slowest <= STORE_TIMEOUT_MS + 50, `slowest limiter decision during the outage took ${slowest} ms`);
    // Each replica's client reconnects by itself (backoff up to 2 s between attempts, so within about 4 s of the
    // restart); then the shared, empty Redis counts again.
    await sleep(4500);
    const resumed = await burst('resumed', 150);
    assert.equal(resumed.filter((r) => r.status === 200).length, 100, `statuses: ${JSON.stringify(countBy(resumed.map((r) => r.status)))}; ${limiterLines(replicas)}`);
  });

  it('refuses limited requests with 503 SB_LIMITER_UNAVAILABLE while Redis is down when the policy is closed', async () => {
    await setLimits({ onStoreError: 'closed' });
    let during: Res[];
    let operator: Res | undefined;
    await redis.stop();
    try {
      during = await burst('closed', 30);
      // Operators (keys of no workspace) are not limited, so they still get through to fix things.
      operator = await call(replicas[1]!.url, 'POST', '/v1/chat/completions', CHAT);
    } finally {
      await redis.start();
    }
    assert.ok(during.every((r) => r.status === 503 && r.body.error.code === 'SB_LIMITER_UNAVAILABLE'), `statuses: ${JSON.stringify(countBy(during.map((r) => r.status)))}`);
    assert.ok(Math.max(...during.map((r) => r.limiterMs)) <= STORE_TIMEOUT_MS + 50);
    assert.equal(operator?.status, 200);
    await sleep(4500);
    assert.equal((await burst('closed', 10)).filter((r) => r.status === 200).length, 10);
  });
});

/** What the replicas logged about the limiter store, for failure messages. */
function limiterLines(replicas: readonly GatewayProcess[]): string {
  return replicas.map((r, i) => `replica ${i}: ${r.output().split('\n').filter((l) => l.includes('limiter')).slice(-4).join(' | ')}`).join('\n');
}

function countBy(values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
