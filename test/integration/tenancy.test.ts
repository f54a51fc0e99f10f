// Workspaces as tenants on a running gateway: keys belong to a workspace, their role applies inside it only, a
// workspace's key never sees or changes another's data on any admin route (the whole route table is walked), a
// forged workspace header is refused, keys expire and rotate with an overlap.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { adminCall, type AdminResponse } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = { providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }] };

describe('tenancy', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const as = (key: string) => (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(method, path, body, { authorization: `Bearer ${key}`, ...headers });
  const keys: Record<string, { key: string; id: string; prefix: string }> = {};
  const chat = (key: string, headers: Record<string, string> = {}) => as(key)('POST', '/v1/chat/completions', { model: 'mock', messages: [{ role: 'user', content: 'hi' }] }, headers);

  before(async () => {
    gw = await startGateway({ config: CONFIG });
    for (const ws of ['ws-a', 'ws-b']) assert.equal((await call('POST', '/api/workspaces', { id: ws, name: ws.toUpperCase(), tier: 'premium' })).status, 201);
    for (const [name, role, workspaceId] of [['a-admin', 'admin', 'ws-a'], ['a-viewer', 'viewer', 'ws-a'], ['a-member', 'member', 'ws-a'], ['b-admin', 'admin', 'ws-b'], ['b-member', 'member', 'ws-b']] as const) {
      const res = await call('POST', '/api/keys', { name, role, workspaceId });
      assert.equal(res.status, 201, res.text);
      keys[name] = res.body;
    }
    // Traffic in both workspaces, so usage has records of each.
    for (const name of ['a-member', 'b-member']) assert.equal((await chat(keys[name]!.key)).status, 200);
  });
  after(() => gw.close());

  it('makes keys that belong to their workspace, with their role, scopes and expiry', async () => {
    const listed = (await call('GET', '/api/keys')).body.data as Array<{ name: string; workspaceId: string | null; role: string }>;
    assert.deepEqual(listed.find((k) => k.name === 'a-viewer'), { ...listed.find((k) => k.name === 'a-viewer'), workspaceId: 'ws-a', role: 'viewer' });
    const scoped = await call('POST', '/api/keys', { name: 'reader', role: 'member', workspaceId: 'ws-a', scopes: ['inference'] });
    assert.equal(scoped.status, 201, scoped.text);
    assert.deepEqual(scoped.body.scopes, ['inference']);
    const reads = await as(scoped.body.key)('GET', '/api/keys');
    assert.equal(reads.status, 403);
    assert.equal(reads.body.error.code, 'SB_AUTH_FORBIDDEN');
    const wider = await call('POST', '/api/keys', { name: 'x', role: 'viewer', scopes: ['inference'] });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error.param, 'scopes');
    const noWorkspace = await call('POST', '/api/keys', { name: 'x', role: 'member', workspaceId: null });
    assert.equal(noWorkspace.body.error.param, 'workspaceId');
    const old = await call('POST', '/api/keys', { name: 'legacy', role: 'inference' });
    assert.deepEqual([old.body.role, old.body.workspaceId], ['member', 'default'], 'the role keys had before workspaces still works');
  });

  it('holds a workspace key to its own workspace on the routes that hold workspace data', async () => {
    const a = as(keys['a-admin']!.key);
    const ownKeys = (await a('GET', '/api/keys')).body.data as Array<{ workspaceId: string }>;
    assert.ok(ownKeys.length >= 3);
    assert.ok(ownKeys.every((k) => k.workspaceId === 'ws-a'));
    assert.equal((await a('GET', '/api/keys?workspaceId=ws-b')).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    const revokeOther = await a('DELETE', `/api/keys/${keys['b-member']!.id}`);
    assert.equal(revokeOther.status, 404, 'another workspace\'s key is not found, not forbidden: its existence is not revealed');
    assert.equal((await a('POST', '/api/keys', { name: 'x', workspaceId: 'ws-b' })).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    const made = await a('POST', '/api/keys', { name: 'made-by-a', role: 'member' });
    assert.equal(made.body.workspaceId, 'ws-a');
    const usage = (await a('GET', '/api/usage')).body.data as Array<{ workspaceId: string }>;
    assert.ok(usage.length > 0);
    assert.ok(usage.every((r) => r.workspaceId === 'ws-a'));
    assert.deepEqual(((await a('GET', '/api/workspaces')).body.data as Array<{ id: string }>).map((w) => w.id), ['ws-a']);
    assert.equal((await a('GET', '/api/workspaces/ws-b')).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    assert.equal((await a('GET', '/api/workspaces/ws-a')).body.tier, 'premium');
  });

  it('lets roles do what they may inside the workspace, and no more', async () => {
    const viewer = as(keys['a-viewer']!.key);
    assert.equal((await viewer('GET', '/api/keys')).status, 200);
    assert.equal((await viewer('POST', '/api/keys', { name: 'x' })).body.error.code, 'SB_AUTH_FORBIDDEN');
    assert.equal((await chat(keys['a-viewer']!.key)).body.error.code, 'SB_AUTH_FORBIDDEN', 'a viewer has no inference scope');
    const member = as(keys['a-member']!.key);
    assert.equal((await member('POST', '/api/workspaces/ws-a/members', { userId: 'u1' })).body.error.code, 'SB_AUTH_FORBIDDEN');
    const admin = as(keys['a-admin']!.key);
    const added = await admin('POST', '/api/workspaces/ws-a/members', { userId: 'u1', email: 'u1@example.com', role: 'operator' });
    assert.equal(added.status, 201, added.text);
    assert.deepEqual(((await member('GET', '/api/workspaces/ws-a/members')).body.data as Array<{ userId: string }>).map((m) => m.userId), ['u1']);
    assert.equal((await admin('POST', '/api/workspaces/ws-b/members', { userId: 'u2' })).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    const removed = await admin('DELETE', '/api/workspaces/ws-a/members/u1');
    assert.equal(removed.status, 204, removed.text);
    assert.equal((await admin('DELETE', '/api/workspaces/ws-a/members/u1')).body.error.code, 'SB_MEMBER_NOT_FOUND');
    // Limits and budgets are the operator's: a workspace's own admin cannot lift them.
    assert.equal((await admin('PATCH', '/api/workspaces/ws-a', { rateLimits: { requestsPerMinute: 1_000_000 } })).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
  });

  it('refuses a workspace claimed in a header that is not the key\'s, and records the key\'s own', async () => {
    const forged = await chat(keys['a-member']!.key, { 'x-switchboard-workspace': 'ws-b' });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    assert.equal((await chat(keys['a-member']!.key, { 'x-switchboard-workspace': 'ws-a' })).status, 200);
    const routed = await as(keys['a-member']!.key)('POST', '/api/route', { agentType: 'x', workspaceId: 'ws-b', prompt: 'hi', model: 'mock' });
    assert.equal(routed.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
  });

  it('walks every admin route with a workspace key: another workspace\'s data is never answered', async () => {
    const doc = gw.gateway.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const b = { ws: 'ws-b', key: keys['b-member']!.id };
    let walked = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/') || path === '/api/route') continue;
      for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
        // Every parameter names something of workspace B (or that does not exist).
        const url = path.replace('{id}', path.startsWith('/api/keys') ? b.key : b.ws).replace(/\{[^}]+\}/g, 'ws-b');
        for (const key of ['a-admin', 'a-viewer']) {
          const res: AdminResponse = await as(keys[key]!.key)(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
          walked++;
          assert.ok(res.status < 500, `${key} ${method} ${url}: ${res.status} ${res.text}`);
          if (res.status < 300) {
            assert.ok(!res.text.includes('ws-b') && !res.text.includes(b.key) && !res.text.includes('b-member'), `${key} ${method} ${url} answered another workspace's data: ${res.text.slice(0, 300)}`);
          } else {
            assert.ok([400, 403, 404].includes(res.status), `${key} ${method} ${url}: ${res.status} ${res.text}`);
          }
        }
      }
    }
    assert.ok(walked > 60, `walked ${walked}`);
    // Nothing of B changed: its key still works and its workspace is as it was.
    assert.equal((await chat(keys['b-member']!.key)).status, 200);
    assert.equal((await call('GET', '/api/workspaces/ws-b')).body.tier, 'premium');
  });

  it('rotates a key: the new one works at once, the old one until its overlap ends', async () => {
    const rotated = await as(keys['a-admin']!.key)('POST', `/api/keys/${keys['a-member']!.id}/rotate`, { overlapSeconds: 1 });
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal(rotated.body.key.workspaceId, 'ws-a');
    assert.equal(rotated.body.key.role, 'member');
    assert.ok(Date.parse(rotated.body.previous.expiresAt) - Date.now() <= 1000);
    assert.equal((await chat(rotated.body.key.key)).status, 200);
    assert.equal((await chat(keys['a-member']!.key)).status, 200, 'the old key during the overlap');
    await sleep(1100);
    const expired = await chat(keys['a-member']!.key);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error.code, 'SB_AUTH_EXPIRED_KEY');
    assert.equal((await call('POST', `/api/keys/${keys['b-admin']!.id}/rotate`, { overlapSeconds: -1 })).body.error.param, 'overlapSeconds');
  });

  it('refuses a key past the expiry it was made with', async () => {
    const made = await call('POST', '/api/keys', { name: 'short', workspaceId: 'ws-a', expiresAt: new Date(Date.now() + 500).toISOString() });
    assert.equal(made.status, 201, made.text);
    assert.equal((await chat(made.body.key)).status, 200);
    await sleep(600);
    assert.equal((await chat(made.body.key)).body.error.code, 'SB_AUTH_EXPIRED_KEY');
    const past = await call('POST', '/api/keys', { name: 'past', expiresAt: '2020-01-01T00:00:00Z' });
    assert.equal(past.body.error.param, 'expiresAt');
  });

  it('deletes a workspace only once no active key belongs to it', async () => {
    const refused = await call('DELETE', '/api/workspaces/ws-b');
    assert.equal(refused.status, 400);
    assert.match(refused.text, /active key/);
    for (const name of ['b-admin', 'b-member']) assert.equal((await call('DELETE', `/api/keys/${keys[name]!.id}`)).status, 200);
    assert.equal((await call('DELETE', '/api/workspaces/ws-b')).status, 204);
    assert.equal((await call('GET', '/api/workspaces/ws-b')).body.error.code, 'SB_WORKSPACE_NOT_FOUND');
    assert.equal((await call('DELETE', '/api/workspaces/default')).status, 400);
  });
});
