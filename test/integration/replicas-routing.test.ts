/**
 * Routing on three replicas sharing one PostgreSQL, as real processes: a rule, a canary split and an override made
 * through one replica are decided the same way by all three within a second, a user is sticky to one side of a
 * split whichever replica answers, and the usage records of every replica say which rule chose the model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { postgresSchemas, TEST_POSTGRES_URL } from '../support/postgres-schemas.ts';
import { timeUntilAll } from '../support/time-until-all.ts';

const ADMIN = 'sb-routing-replica-admin-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-routing-replicas-'));
const schemas = postgresSchemas();
const schema = schemas.fresh();

interface Res { readonly status: number; readonly headers: Headers; readonly body: any }

async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { parsed = text; }
  return { status: res.status, headers: res.headers, body: parsed };
}

const MODELS = [
  { name: 'Stable', id: 'stable', provider: 'mock', version: 'mock' },
  { name: 'Candidate', id: 'candidate', provider: 'mock', version: 'mock-large' },
];
const CANARY_RULE = {
  id: 'writers-canary', name: 'Writers try the candidate', condition: { agentType: ['writer'] },
  targetModels: [{ modelId: 'stable', fallbackOrder: 1 }, { modelId: 'candidate', fallbackOrder: 2 }],
  trafficSplit: { primary: 80, canary: 20 }, stickyKey: 'user', priority: 10,
};

const decided = async (r: GatewayProcess, user: string): Promise<string> => (await call(r.url, 'POST', '/api/routing/test', { agentType: 'writer', userId: user, prompt: 'x' })).body.model;

describe('routing on three replicas on one PostgreSQL', () => {
  const replicas: GatewayProcess[] = [];

  before(async () => {
    const env = (name: string) => ({ DATABASE_URL: TEST_POSTGRES_URL, SWITCHBOARD_DATABASE_SCHEMA: schema, SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, name) });
    replicas.push(await startGatewayProcess(env('a')));
    replicas.push(...await Promise.all([startGatewayProcess(env('b')), startGatewayProcess(env('c'))]));
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decides a canary rule made through one replica the same way on all three within 1 s, sticky per user', async () => {
    const res = await call(replicas[0]!.url, 'PATCH', '/api/config', { models: MODELS, routingRules: [CANARY_RULE] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ms = await timeUntilAll(replicas, async (r) => (await call(r.url, 'POST', '/api/routing/test', { agentType: 'writer', userId: 'u0' })).body.ruleId === 'writers-canary', 'the rule decided');
    assert.ok(ms < 1000, `decided after ${ms.toFixed(0)} ms`);
    let canary = 0;
    for (let i = 0; i < 60; i++) {
      const answers = await Promise.all(replicas.map((r) => decided(r, `user-${i}`)));
      assert.equal(new Set(answers).size, 1, `user-${i} got ${answers.join(', ')}`);
      if (answers[0] === 'candidate') canary++;
    }
    assert.ok(canary > 0 && canary < 30, `${canary} of 60 users on the canary`);
  });

  it('serves /v1 requests of one user from the same side of the split on every replica, and records the rule', async () => {
    const served = new Set<string>();
    const ids: string[] = [];
    for (const r of replicas) {
      const res = await call(r.url, 'POST', '/v1/chat/completions', { model: 'stable', messages: [{ role: 'user', content: 'hi' }] }, { 'x-switchboard-agent-type': 'writer', 'x-switchboard-user': 'user-7' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-switchboard-rule'), 'writers-canary');
      served.add(res.headers.get('x-switchboard-model') ?? '');
      ids.push(res.headers.get('x-request-id') ?? '');
    }
    assert.equal(served.size, 1);
    assert.equal([...served][0], await decided(replicas[0]!, 'user-7'));
    // Each replica writes its own records to the shared store within its flush interval.
    await timeUntilAll(replicas.slice(0, 1), async (r) => {
      const rows = await Promise.all(ids.map(async (id) => (await call(r.url, 'GET', `/api/usage?request_id=${id}`)).body.data as Array<{ kind: string; ruleId: string | null }>));
      return rows.every((list) => list.some((row) => row.kind === 'request' && row.ruleId === 'writers-canary'));
    }, 'usage records with the rule');
  });

  it('applies an override made through one replica on all three within 1 s, and stops when it expires', async () => {
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const res = await call(replicas[1]!.url, 'PATCH', '/api/config', { overrides: [{ id: 'pin-all', kind: 'force_target', match: { model: 'stable' }, modelId: 'candidate', reason: 'incident 42', expiresAt }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const test = { model: 'stable', prompt: 'x' };
    const ms = await timeUntilAll(replicas, async (r) => (await call(r.url, 'POST', '/api/routing/test', test)).body.overrideId === 'pin-all', 'the override in force');
    assert.ok(ms < 1000, `in force after ${ms.toFixed(0)} ms`);
    for (const r of replicas) assert.equal((await call(r.url, 'POST', '/api/routing/test', test)).body.model, 'candidate');
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 50);
    for (const r of replicas) assert.equal((await call(r.url, 'POST', '/api/routing/test', test)).body.model, 'stable', 'expired by itself');
  });
});
