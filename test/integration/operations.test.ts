// Operator endpoints: service info, health, readiness, component checks, status, metrics, OpenAPI docs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';

describe('operations endpoints', () => {
  let gw: TestGateway;
  const get = async (path: string, key?: string): Promise<{ status: number; body: any; text: string }> => {
    const res = await fetch(`${gw.url}${path}`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
    const text = await res.text();
    let body: unknown;
    try { body = JSON.parse(text); } catch { body = undefined; }
    return { status: res.status, body, text };
  };

  before(async () => { gw = await startGateway(); });
  after(() => gw.close());

  it('GET / describes the service', async () => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.equal(res.body.service, 'switchboard');
    assert.ok(res.body.endpoints.includes('/v1/chat/completions'));
  });

  it('health, readiness and component checks answer without a key', async () => {
    assert.deepEqual((await get('/health')).body, { status: 'ok' });
    for (const path of ['/ready', '/health/ready']) {
      const res = await get(path);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ready');
    }
    const detailed = await get('/health/detailed');
    assert.equal(detailed.status, 200);
    assert.deepEqual(detailed.body.checks.map((c: { name: string }) => c.name).sort(), ['configuration', 'endpoints', 'providers', 'storage', 'usage_writer']);
  });

  it('readiness turns 503 while shutting down', async () => {
    gw.gateway.deps.lifecycle.shuttingDown = true;
    try {
      const res = await get('/ready');
      assert.equal(res.status, 503);
      assert.equal(res.body.shutting_down, true);
    } finally {
      gw.gateway.deps.lifecycle.shuttingDown = false;
    }
  });

  it('a failing store shows as degraded in /health/detailed, and the replica stays ready', async () => {
    const ping = gw.storage.ping;
    gw.storage.ping = async () => { throw new Error('disk gone'); };
    try {
      const res = await get('/health/detailed');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'degraded');
      assert.equal(res.body.checks.find((c: { name: string }) => c.name === 'storage').status, 'degraded');
      assert.equal((await get('/ready')).status, 200);
    } finally {
      gw.storage.ping = ping;
    }
  });

  it('/status lists providers without credentials, to an admin key', async () => {
    const res = await get('/status', ADMIN_KEY);
    assert.equal(res.status, 200);
    assert.ok(res.body.providers.some((p: { name: string }) => p.name === 'mock'));
    assert.doesNotMatch(res.text, /apiKey|sk-/);
  });

  it('/metrics exposes request, token and usage-queue metrics after traffic', async () => {
    await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'count me' }] }) });
    const res = await get('/metrics', ADMIN_KEY);
    assert.equal(res.status, 200);
    assert.match(res.text, /switchboard_requests_total\{endpoint="chat",provider="mock",model="mock",status="200",outcome="ok"\} \d/);
    assert.match(res.text, /switchboard_tokens_total\{provider="mock",model="mock",type="output"\} \d/);
    assert.match(res.text, /switchboard_usage_queue_depth/);
    assert.match(res.text, /switchboard_request_duration_seconds_bucket/);
  });

  it('tells a caller without a key only what a probe may know', async () => {
    const root = await get('/');
    assert.equal(root.body.version, undefined);
    const status = await get('/status');
    assert.deepEqual(status.body, { service: 'switchboard', status: 'ok' });
    const ping = gw.storage.ping;
    gw.storage.ping = async () => { throw new Error('SQLITE_CANTOPEN: /var/lib/secret/path/switchboard.db'); };
    try {
      const detailed = await get('/health/detailed');
      assert.equal(detailed.body.status, 'degraded');
      assert.doesNotMatch(detailed.text, /SQLITE|secret|version/);
      assert.deepEqual(detailed.body.checks.find((c: { name: string }) => c.name === 'storage'), { name: 'storage', status: 'degraded' });
      assert.doesNotMatch((await get('/ready')).text, /SQLITE/);
      const full = await get('/health/detailed', ADMIN_KEY);
      assert.match(full.body.checks.find((c: { name: string }) => c.name === 'storage').detail, /SQLITE_CANTOPEN/);
      assert.equal(full.body.version, gw.gateway.deps.version);
    } finally {
      gw.storage.ping = ping;
    }
  });

  it('keeps /metrics on the API port behind the admin key', async () => {
    const none = await get('/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'SB_AUTH_MISSING_KEY');
    assert.doesNotMatch(none.text, /switchboard_cost_usd_total/);
    const created = await fetch(`${gw.url}/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'app' }) });
    const { key } = await created.json() as { key: string };
    const inference = await get('/metrics', key);
    assert.equal(inference.status, 403);
    assert.equal(inference.body.error.code, 'SB_AUTH_FORBIDDEN');
    assert.equal((await get('/metrics', 'sb_00000000_wrongwrongwrongwrongwrongwrongwrongwrongwro')).status, 401);
  });

  it('answers probes without a key even while a wrong key is sent elsewhere', async () => {
    assert.equal((await get('/health', 'not-a-key')).status, 200);
    assert.equal((await get('/ready', 'not-a-key')).status, 200);
  });

  it('/docs is an OpenAPI document of every route', async () => {
    const res = await get('/docs');
    assert.equal(res.status, 200);
    assert.match(res.body.openapi, /^3\./);
    for (const path of ['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/v1/messages', '/v1/messages/count_tokens', '/api/keys', '/api/keys/{id}', '/api/usage', '/health', '/ready', '/health/detailed', '/status', '/metrics']) {
      assert.ok(res.body.paths[path], `missing ${path}`);
    }
  });
});
