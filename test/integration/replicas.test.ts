/**
 * Several replicas on one PostgreSQL, as real processes under steady load: keys and configuration changes made
 * through one are honoured by all within a second, swaps fail no request, and a replica that loses the database
 * (mid-run, or already at start) keeps serving its last good configuration and catches up by itself.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { postgresSchemas, TEST_POSTGRES_URL } from '../support/postgres-schemas.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { timeUntilAll } from '../support/time-until-all.ts';

const ADMIN = 'sb-replica-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-replicas-'));
const schemas = postgresSchemas();
const schema = schemas.fresh();

interface Res { readonly status: number; readonly body: any }

async function call(base: string, method: string, path: string, key: string, body?: unknown): Promise<Res> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, body: parsed };
}

const chat = (base: string, key: string, model = 'mock'): Promise<Res> => call(base, 'POST', '/v1/chat/completions', key, { model, messages: [{ role: 'user', content: 'hi' }] });

function env(name: string, databaseUrl = TEST_POSTGRES_URL): Record<string, string> {
  return { DATABASE_URL: databaseUrl, SWITCHBOARD_DATABASE_SCHEMA: schema, SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, name) };
}

describe('three replicas on one PostgreSQL', () => {
  const replicas: GatewayProcess[] = [];
  let proxy: TcpProxy;
  let loadKey = '';
  let loadKeyId = '';
  let stopLoad = false;
  let load: Promise<void> = Promise.resolve();
  const failures: string[] = [];
  let served = 0;

  before(async () => {
    proxy = await startTcpProxy(Number(new URL(TEST_POSTGRES_URL).port || 5432));
    // The first migrates the schema; the others start at once on it.
    replicas.push(await startGatewayProcess(env('a')));
    replicas.push(...await Promise.all([startGatewayProcess(env('b')), startGatewayProcess(env('c'))]));
    const created = await call(replicas[0]!.url, 'POST', '/api/keys', ADMIN, { name: 'load', role: 'inference' });
    assert.equal(created.status, 201);
    loadKey = created.body.key;
    loadKeyId = created.body.id;
    // Steady load: four callers spread over the three replicas for the whole test.
    load = Promise.all(Array.from({ length: 4 }, async (_, worker) => {
      for (let i = worker; !stopLoad; i++) {
        const r = replicas[i % 3]!;
        try {
          const res = await chat(r.url, loadKey);
          if (res.status === 200) served++;
          else if (res.status !== 401 || served > 0) failures.push(`${r.url}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        } catch (err) {
          failures.push(`${r.url}: ${String(err)}`);
        }
      }
    })).then(() => {});
  });

  after(async () => {
    stopLoad = true;
    await load;
    await Promise.all(replicas.map((r) => r.stop()));
    await proxy?.close();
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a key created through one replica on the others within 1 s', async () => {
    const created = await call(replicas[0]!.url, 'POST', '/api/keys', ADMIN, { name: 'new', role: 'inference' });
    const ms = await timeUntilAll(replicas.slice(1), async (r) => (await chat(r.url, created.body.key)).status === 200, 'new key accepted');
    assert.ok(ms < 1000, `accepted after ${ms.toFixed(0)} ms`);
  });

  it('refuses a key revoked through one replica on all three within 1 s', async () => {
    const created = await call(replicas[1]!.url, 'POST', '/api/keys', ADMIN, { name: 'doomed', role: 'inference' });
    // Every replica has verified (and cached) the key before it is revoked.
    await timeUntilAll(replicas, async (r) => (await chat(r.url, created.body.key)).status === 200, 'key accepted');
    assert.equal((await call(replicas[1]!.url, 'DELETE', `/api/keys/${created.body.id}`, ADMIN)).status, 200);
    const ms = await timeUntilAll(replicas, async (r) => (await chat(r.url, created.body.key)).status === 401, 'revoked key refused');
    assert.ok(ms < 1000, `refused after ${ms.toFixed(0)} ms`);
  });

  it('serves a configuration change made through one replica on all three within 1 s', async () => {
    const res = await call(replicas[2]!.url, 'PATCH', '/api/config', ADMIN, { models: [{ name: 'fast', provider: 'mock', model: 'mock-large' }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ms = await timeUntilAll(replicas, async (r) => (await chat(r.url, loadKey, 'fast')).status === 200, 'the new model served');
    assert.ok(ms < 1000, `served after ${ms.toFixed(0)} ms`);
    for (const r of replicas) assert.equal((await call(r.url, 'GET', '/api/config', ADMIN)).body.version, res.body.version);
  });

  it('keeps serving through ten swaps in a row without a failed request', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await call(replicas[i % 3]!.url, 'PATCH', '/api/config', ADMIN, { routing: { defaultMaxTokens: 1000 + i } });
      assert.equal(res.status, 200);
      await sleep(100);
    }
    await sleep(300);
    assert.deepEqual(failures, []);
    assert.ok(served > 50, `only ${served} requests served`);
  });

  it('a replica that loses the database keeps serving, reports degraded, refuses changes with 503, and catches up', async () => {
    const d = await startGatewayProcess(env('d', `postgres://postgres@127.0.0.1:${proxy.port}/test`));
    try {
      assert.equal((await chat(d.url, loadKey, 'fast')).status, 200);
      proxy.cut();
      await sleep(200);
      assert.equal((await chat(d.url, loadKey, 'fast')).status, 200, 'a key it checked before still works');
      const health = await call(d.url, 'GET', '/health/detailed', ADMIN);
      assert.equal(health.status, 200);
      assert.equal(health.body.status, 'degraded');
      assert.equal((await call(d.url, 'GET', '/ready', ADMIN)).status, 200, 'it stays in service');
      const refused = await call(d.url, 'PATCH', '/api/config', ADMIN, { routing: { defaultMaxTokens: 5 } });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.error.code, 'SB_CONFIG_STORE_UNAVAILABLE');
      // Responses: a new one is still answered (its storing fails, logged), a stored one cannot be read: 503, bounded.
      const answered = await call(d.url, 'POST', '/v1/responses', ADMIN, { model: 'mock', input: 'Hello!' });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
      const unread = await call(d.url, 'GET', `/v1/responses/${answered.body.id}`, ADMIN);
      assert.equal(unread.status, 503);
      assert.equal(unread.body.error.code, 'SB_RESPONSE_STORE_UNAVAILABLE');
      // Meanwhile another replica changes the configuration.
      const change = await call(replicas[0]!.url, 'PATCH', '/api/config', ADMIN, { models: [{ name: 'fast', provider: 'mock', model: 'mock-large' }, { name: 'later', provider: 'mock', model: 'mock' }] });
      assert.equal(change.status, 200);
      proxy.restore();
      await timeUntilAll([d], async (r) => (await chat(r.url, loadKey, 'later')).status === 200, 'catching up after the outage');
      assert.equal((await call(d.url, 'GET', '/health/detailed', ADMIN)).body.status, 'healthy');
    } finally {
      proxy.restore();
      await d.stop();
    }
  });

  it('starts while the database is unreachable, on its last-known-good copy', async () => {
    // Replica d stopped above; its data directory holds the copy of the version it last served.
    const e = await startGatewayProcess(env('d', 'postgres://postgres@127.0.0.1:1/test'));
    try {
      assert.equal((await chat(e.url, ADMIN, 'later')).status, 200, 'a model from the stored configuration');
      const health = await call(e.url, 'GET', '/health/detailed', ADMIN);
      assert.equal(health.body.status, 'degraded');
      assert.match(JSON.stringify(health.body.checks), /configuration store/);
    } finally {
      await e.stop();
    }
  });

  it('continues a Responses API conversation on any replica: created on one, continued on the next, read and deleted on the third', async () => {
    const [a, b, c] = replicas as [GatewayProcess, GatewayProcess, GatewayProcess];
    const first = await call(a.url, 'POST', '/v1/responses', ADMIN, { model: 'mock', input: 'Hello!' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // Stored before it was answered: the next turn finds it on another replica at once.
    const second = await call(b.url, 'POST', '/v1/responses', ADMIN, { model: 'mock', input: 'And again?', previous_response_id: first.body.id });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal((await call(c.url, 'GET', `/v1/responses/${second.body.id}`, ADMIN)).body.id, second.body.id);
    assert.equal((await call(c.url, 'DELETE', `/v1/responses/${first.body.id}`, ADMIN)).status, 200);
    for (const r of replicas) assert.equal((await call(r.url, 'GET', `/v1/responses/${first.body.id}`, ADMIN)).status, 404);
  });

  it('answers the same usage analytics and audit trail on every replica, with a record of every request served', async () => {
    stopLoad = true;
    await load;
    // Each replica's pipeline hands the store what it has within usage.flushIntervalMs (1 s).
    await sleep(1500);
    const spend = await Promise.all(replicas.map((r) => call(r.url, 'GET', '/api/analytics/spend?groupBy=key&timeRange=1h', ADMIN)));
    const requestsOf = (res: Res): number => (res.body.data as Array<{ keyId: string; requests: number }>).find((g) => g.keyId === loadKeyId)?.requests ?? 0;
    assert.ok(spend.every((res) => res.status === 200));
    const counts = spend.map(requestsOf);
    assert.ok(counts.every((n) => n === counts[0]), `the load key's requests as each replica sees them: ${counts.join(', ')}`);
    assert.ok((counts[0] ?? 0) >= served, `${counts[0]} recorded, ${served} served by the load alone`);
    const audits = await Promise.all(replicas.map((r) => call(r.url, 'GET', '/api/audit?action=key.create', ADMIN)));
    const ids = audits.map((res) => (res.body.data as Array<{ id: string; targetId: string }>).map((e) => e.id).join());
    assert.ok(ids.every((x) => x === ids[0]), 'the same audit events everywhere');
    assert.ok((audits[0]!.body.data as Array<{ targetId: string }>).some((e) => e.targetId === loadKeyId), 'the load key\'s creation is audited');
  });
});
