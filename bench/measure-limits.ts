// Rate limits and budgets on Switchboard only, after the routing phase: what the admission decision costs a /v1
// chat request at the top concurrency, with a workspace's key whose limits are far above the load (every limit
// kind and a budget are checked and taken, none refuses). Cells with limits off and on, in the order off, on, off,
// on so drift lands on both sides: on the main instance (memory limiter) and on an instance of its own started
// with REDIS_URL (a redis-server of its own on the load generator's CPU), where the Redis scripts per request are
// counted too.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ADMIN_KEY, CHAT_BODY, REQUEST_HEADERS } from './bench-request.ts';
import { measureJsonCell } from './measure-json.ts';
import { patchConfig } from './patch-config.ts';
import type { BenchConfig } from './bench-config.ts';
import type { DecisionFigures } from './measure-decision.ts';
import type { JsonCell } from './measure-json.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';
import { pinnedCommand } from './pinning.ts';
import { startTestRedis, type TestRedis } from '../test/support/redis-server.ts';

export interface LimitsCell {
  readonly store: 'memory' | 'redis';
  readonly limits: 'off' | 'on';
  readonly cell: JsonCell;
}

export interface LimitsCells {
  readonly cells: readonly LimitsCell[];
  /** Script calls Redis ran per request with limits on, requests one after another; null when not measured. */
  readonly scriptsPerRequest: number | null;
  /** The decision alone, in the bench process (measure-decision.ts); null when not measured. */
  readonly decision: DecisionFigures | null;
  readonly problems: readonly string[];
}

/** The bars of the tenancy issue: added gateway CPU per request at c=64. */
export const MEMORY_BAR_US = 3;
export const REDIS_BAR_US = 15;

const HIGH = 1_000_000_000;
const ON = {
  limits: { enabled: true, tiers: { api_key: { requestsPerHour: HIGH } }, perKey: { requestsPerMinute: HIGH } },
  workspaces: { bench: { rateLimits: { requestsPerMinute: HIGH, tokensPerMinute: HIGH, concurrentRequests: 100_000 }, budgetLimits: { daily: HIGH } } },
};
const OFF = { limits: { enabled: false }, workspaces: { bench: { rateLimits: null, budgetLimits: null } } };
const ORDER: readonly LimitsCell['limits'][] = ['off', 'on', 'off', 'on'];

/** A member key of the workspace "bench", made through the admin API; its request headers. */
async function workspaceKeyHeaders(target: Target): Promise<Record<string, string>> {
  await patchConfig(target, { workspaces: { bench: { name: 'Bench' } } });
  const res = await fetch(`${new URL(target.url).origin}/api/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', workspaceId: 'bench' }), signal: AbortSignal.timeout(10_000),
  });
  const body = await res.json() as { key?: string };
  if (res.status !== 201 || typeof body.key !== 'string') throw new Error(`POST /api/keys answered ${res.status}`);
  return { ...REQUEST_HEADERS, authorization: `Bearer ${body.key}` };
}

export async function measureLimitsOn(target: Target, store: LimitsCell['store'], c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, report: (label: string, cell: JsonCell) => void, redis?: Redis): Promise<{ cells: LimitsCell[]; scriptsPerRequest: number | null }> {
  const headers = await workspaceKeyHeaders(target);
  const cells: LimitsCell[] = [];
  let scriptsPerRequest: number | null = null;
  try {
    for (const limits of ORDER) {
      await patchConfig(target, limits === 'on' ? ON : OFF);
      const cell = await measureJsonCell(target, c, config, pinning, noise, undefined, headers);
      cells.push({ store, limits, cell });
      report(`${store} limits ${limits}`, cell);
    }
    if (redis !== undefined) scriptsPerRequest = await scriptsPerRequestOf(target, headers, redis);
  } finally {
    await patchConfig(target, OFF);
  }
  return { cells, scriptsPerRequest };
}

/** Scripts Redis runs per request with limits on: 200 requests one after another, INFO commandstats around them. */
async function scriptsPerRequestOf(target: Target, headers: Record<string, string>, redis: Redis): Promise<number> {
  await patchConfig(target, ON);
  const n = 200;
  const before = await scriptCalls(redis);
  for (let i = 0; i < n; i++) {
    const res = await fetch(target.url, { method: 'POST', headers, body: CHAT_BODY, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
  }
  // Settlement runs after the answer: give the last ones a moment.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return ((await scriptCalls(redis)) - before) / n;
}

/** EVALSHA and EVAL calls the server has run, from INFO commandstats. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let calls = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
  return calls;
}

/**
 * A redis-server of the phase's own, pinned to the load generator's CPU: the script work is Redis's, not the
 * gateway's, and must not take the measured process's core (the machine's Redis floats over both). Its URL, a
 * client for counting, and a key prefix; stopped on close.
 */
export async function benchRedis(pinning: Pinning): Promise<{ redis: Redis; url: string; prefix: string; close(): Promise<void> } | string> {
  let server: TestRedis;
  try {
    server = await startTestRedis((command, args) => pinnedCommand(pinning, pinning.loadCpu, command, args));
  } catch (err) {
    return `no redis-server could be started (${err instanceof Error ? err.message : String(err)})`;
  }
  const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    await server.stop();
    return `the bench's redis-server at ${server.url} did not answer (${err instanceof Error ? err.message : String(err)})`;
  }
  const prefix = `sb-bench-${randomUUID().slice(0, 8)}:`;
  return {
    redis, url: server.url, prefix,
    close: async () => {
      redis.disconnect();
      await server.stop();
    },
  };
}

/** Mean CPU µs/req of the cells of `store` with limits `limits`; null when none measured it. */
export function meanLimitsCpu(cells: readonly LimitsCell[], store: LimitsCell['store'], limits: LimitsCell['limits']): number | null {
  const values = cells.filter((c) => c.store === store && c.limits === limits).map((c) => c.cell.cpuUsPerRequest).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
