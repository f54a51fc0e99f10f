// Audit events on a running gateway: key, configuration and model changes with who, what, before and after, the
// client address and the request id; auth failures, rate-limit and budget refusals; lookups by request id and by
// filters, a workspace's key held to its own workspace; bad filters answered 400 with the field.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall, type AdminResponse } from '../support/admin-call.ts';
import { startGateway, TEST_SECRETS, type TestGateway } from '../support/start-gateway.ts';

const ADMIN_ADDRESS = '203.0.113.7';
const CALLER_ADDRESS = '198.51.100.9';
const CONFIG = {
  // X-Forwarded-For from the test's own connection is believed: each call says which client it stands for.
  server: { host: '127.0.0.1', port: 0, metricsPort: 0, trustedProxies: ['127.0.0.1'] },
  providers: [{ name: 'mock', type: 'mock', models: ['mock'] }],
  pricing: { mock: { inputPerMTok: 1000, outputPerMTok: 2000 } },
  workspaces: {
    'ws-a': { rateLimits: { requestsPerMinute: 1 } },
    // Far less than any request's worst case: every request is refused.
    'ws-b': { budgetLimits: { daily: 0.0001 } },
  },
};

interface Event {
  id: string; at: string; action: string; outcome: string; code: string | null; actorKeyId: string | null; actorWorkspaceId: string | null;
  actorUserId: string | null; ip: string | null; requestId: string | null; workspaceId: string | null; targetType: string; targetId: string | null;
  before: any; after: any;
}

describe('audit events', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const from = (ip: string, headers: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...headers });
  const admin = (method: string, path: string, body?: unknown) => call(method, path, body, from(ADMIN_ADDRESS));
  const requestId = (res: AdminResponse): string => res.headers.get('x-request-id') ?? assert.fail('no x-request-id');
  /** The events of one request, oldest first. */
  const eventsOf = async (res: AdminResponse): Promise<Event[]> => {
    const found = await call('GET', `/api/audit/${requestId(res)}`);
    assert.equal(found.status, 200, found.text);
    return (found.body.data as Event[]).reverse();
  };
  const chat = (key: string, ip = CALLER_ADDRESS) => call('POST', '/v1/chat/completions', { model: 'mock', messages: [{ role: 'user', content: 'hi' }] }, from(ip, { authorization: `Bearer ${key}` }));

  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  it('records a key\'s creation, rotation and revocation: who, from where, in which request, before and after, never the secret', async () => {
    const created = await admin('POST', '/api/keys', { name: 'ci', role: 'member', workspaceId: 'ws-a', scopes: ['inference'] });
    assert.equal(created.status, 201, created.text);
    const [create, ...rest] = await eventsOf(created);
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [create!.action, create!.outcome, create!.code, create!.actorKeyId, create!.actorWorkspaceId, create!.ip, create!.requestId, create!.workspaceId, create!.targetType, create!.targetId, create!.before],
      ['key.create', 'ok', null, 'env-admin', null, ADMIN_ADDRESS, requestId(created), 'ws-a', 'key', created.body.id, null],
    );
    assert.deepEqual(
      [create!.after.id, create!.after.prefix, create!.after.name, create!.after.role, create!.after.workspaceId, create!.after.scopes],
      [created.body.id, created.body.prefix, 'ci', 'member', 'ws-a', ['inference']],
    );
    assert.ok(Date.parse(create!.at) > Date.now() - 60_000, create!.at);
    assert.equal(JSON.stringify(create).includes(created.body.key), false, 'the key is never in an event');
    assert.equal('hash' in create!.after || 'key' in create!.after, false);

    const rotated = await admin('POST', `/api/keys/${created.body.id}/rotate`, { overlapSeconds: 60 });
    assert.equal(rotated.status, 201, rotated.text);
    const rotation = await eventsOf(rotated);
    assert.deepEqual(rotation.map((e) => [e.action, e.targetId]), [['key.create', rotated.body.key.id], ['key.rotate', created.body.id]]);
    const rotate = rotation[1]!;
    assert.deepEqual([rotate.ip, rotate.requestId, rotate.actorKeyId, rotate.workspaceId], [ADMIN_ADDRESS, requestId(rotated), 'env-admin', 'ws-a']);
    assert.equal(rotate.before.expiresAt, null);
    assert.equal(rotate.after.expiresAt, rotated.body.previous.expiresAt, 'the old key\'s expiry, set to the end of the overlap');
    assert.equal(rotate.after.replacedBy, rotated.body.key.id);
    assert.equal(JSON.stringify(rotation).includes(rotated.body.key.key), false);

    const revoked = await admin('DELETE', `/api/keys/${rotated.body.key.id}`);
    assert.equal(revoked.status, 200, revoked.text);
    const [revoke] = await eventsOf(revoked);
    assert.deepEqual([revoke!.action, revoke!.targetId, revoke!.before.revokedAt, revoke!.after.revokedAt], ['key.revoke', rotated.body.key.id, null, revoked.body.revokedAt]);

    // The key's whole history by target, newest first.
    const history = (await call('GET', `/api/audit?targetType=key&targetId=${created.body.id}`)).body.data as Event[];
    assert.deepEqual(history.map((e) => e.action), ['key.rotate', 'key.create']);
  });

  it('records a configuration change with the changed settings before and after, secrets as their references', async () => {
    const old = (await call('GET', '/api/config')).body.config.routing.defaultMaxTokens;
    const patched = await admin('PATCH', '/api/config', {
      routing: { defaultMaxTokens: 1234 },
      providers: [{ name: 'mock', type: 'mock', models: ['mock'] }, { name: 'team', type: 'openai', apiKey: 'env:OPENAI_PROVIDER_KEY', models: ['gpt-x'] }],
    });
    assert.equal(patched.status, 200, patched.text);
    const [change] = await eventsOf(patched);
    assert.deepEqual([change!.action, change!.targetType, change!.targetId, change!.ip, change!.workspaceId], ['config.change', 'config', String(patched.body.version), ADMIN_ADDRESS, null]);
    assert.equal(change!.before['routing.defaultMaxTokens'], old);
    assert.equal(change!.after['routing.defaultMaxTokens'], 1234);
    assert.ok(JSON.stringify(change!.after).includes('env:OPENAI_PROVIDER_KEY'));
    assert.equal(JSON.stringify(change).includes(TEST_SECRETS.OPENAI_PROVIDER_KEY), false, 'the secret itself is never in an event');
    // A dry run and a change that changes nothing make no event.
    const dry = await admin('PATCH', '/api/config?dry_run=true', { routing: { defaultMaxTokens: 99 } });
    assert.equal((await call('GET', `/api/audit/${requestId(dry)}`)).status, 404);
    const same = await admin('PATCH', '/api/config', { routing: { defaultMaxTokens: 1234 } });
    assert.equal((await call('GET', `/api/audit/${requestId(same)}`)).status, 404);
  });

  it('records an entry of the admin API with the entry before and after', async () => {
    const made = await admin('POST', '/api/models', { name: 'Audit Model', provider: 'mock' });
    assert.equal(made.status, 201, made.text);
    const [create] = await eventsOf(made);
    assert.deepEqual([create!.action, create!.targetType, create!.targetId, create!.before], ['model.create', 'model', made.body.id, null]);
    assert.equal(create!.after.name, 'Audit Model');
    const status = await admin('PATCH', `/api/models/${made.body.id}/status`, { status: 'inactive' });
    assert.equal(status.status, 200, status.text);
    const [setStatus] = await eventsOf(status);
    assert.deepEqual([setStatus!.action, setStatus!.before.status, setStatus!.after.status], ['model.set_status', 'active', 'inactive']);
    const removed = await admin('DELETE', `/api/models/${made.body.id}`);
    assert.equal(removed.status, 204);
    const [remove] = await eventsOf(removed);
    assert.deepEqual([remove!.action, remove!.before.status, remove!.after], ['model.delete', 'inactive', null]);
  });

  it('records a wrong key as auth.failure with the code, the address and the key\'s public prefix only', async () => {
    const secret = 'A'.repeat(43);
    const refused = await chat(`sb_0123abcd_${secret}`);
    assert.equal(refused.status, 401);
    const [failure, ...rest] = await eventsOf(refused);
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [failure!.action, failure!.outcome, failure!.code, failure!.actorKeyId, failure!.ip, failure!.requestId, failure!.workspaceId, failure!.targetType, failure!.targetId],
      ['auth.failure', 'refused', 'SB_AUTH_INVALID_KEY', null, CALLER_ADDRESS, requestId(refused), null, 'route', 'POST /v1/chat/completions'],
    );
    assert.deepEqual([failure!.after.status, failure!.after.keyPrefix], [401, 'sb_0123abcd']);
    assert.equal(JSON.stringify(failure).includes(secret), false);
    // No key, and a token that is not a key: no prefix.
    const [missing] = await eventsOf(await call('GET', '/api/keys', undefined, from(CALLER_ADDRESS, { authorization: '' })));
    assert.deepEqual([missing!.code, missing!.after.keyPrefix, missing!.targetId], ['SB_AUTH_MISSING_KEY', null, 'GET /api/keys']);
  });

  it('records a revoked key\'s refusal', async () => {
    const made = await admin('POST', '/api/keys', { name: 'short-lived', workspaceId: 'ws-a' });
    await admin('DELETE', `/api/keys/${made.body.id}`);
    const refused = await chat(made.body.key);
    assert.equal(refused.status, 401);
    const [failure] = await eventsOf(refused);
    assert.deepEqual([failure!.action, failure!.code, failure!.after.keyPrefix], ['auth.failure', 'SB_AUTH_REVOKED_KEY', made.body.prefix]);
  });

  it('records rate-limit and budget refusals with the caller\'s key and workspace', async () => {
    const a = (await admin('POST', '/api/keys', { name: 'limited', workspaceId: 'ws-a' })).body;
    assert.equal((await chat(a.key)).status, 200);
    const limited = await chat(a.key);
    assert.equal(limited.status, 429, limited.text);
    const [limit] = await eventsOf(limited);
    assert.deepEqual(
      [limit!.action, limit!.outcome, limit!.code, limit!.actorKeyId, limit!.actorWorkspaceId, limit!.workspaceId, limit!.ip, limit!.after.status],
      ['limit.refused', 'refused', 'SB_RATE_LIMITED', a.id, 'ws-a', 'ws-a', CALLER_ADDRESS, 429],
    );
    assert.match(limit!.after.message, /the workspace \(requests\) allows 1 per minute/);

    const b = (await admin('POST', '/api/keys', { name: 'broke', workspaceId: 'ws-b' })).body;
    const broke = await chat(b.key);
    assert.equal(broke.status, 402, broke.text);
    const [budget] = await eventsOf(broke);
    assert.deepEqual([budget!.action, budget!.code, budget!.actorKeyId, budget!.workspaceId, budget!.after.status], ['budget.refused', 'SB_BUDGET_EXCEEDED', b.id, 'ws-b', 402]);
    // A request that goes through makes no event.
    const fine = await chat((await admin('POST', '/api/keys', { name: 'fine', workspaceId: 'default' })).body.key);
    assert.equal(fine.status, 200);
    assert.equal((await call('GET', `/api/audit/${requestId(fine)}`)).status, 404);
  });

  it('filters by action (exact or a prefix), outcome, key, since and until, pages with before', async () => {
    const actions = (data: Event[]) => [...new Set(data.map((e) => e.action))].sort();
    assert.deepEqual(actions((await call('GET', '/api/audit?action=key.&limit=1000')).body.data), ['key.create', 'key.revoke', 'key.rotate']);
    assert.deepEqual(actions((await call('GET', '/api/audit?action=key.rotate')).body.data), ['key.rotate']);
    const refused = (await call('GET', '/api/audit?outcome=refused&limit=1000')).body.data as Event[];
    assert.deepEqual(actions(refused), ['auth.failure', 'budget.refused', 'limit.refused']);
    assert.ok((await call('GET', '/api/audit?keyId=env-admin&limit=1000')).body.data.every((e: Event) => e.actorKeyId === 'env-admin'));
    const all = (await call('GET', '/api/audit?limit=1000')).body.data as Event[];
    assert.deepEqual((await call('GET', `/api/audit?until=${encodeURIComponent(all.at(-1)!.at)}`)).body.data, [], 'until is exclusive');
    assert.ok((await call('GET', `/api/audit?since=${encodeURIComponent(all[0]!.at)}`)).body.data.length >= 1);
    const paged: string[] = [];
    let next: string | null = null;
    do {
      const page = await call('GET', `/api/audit?limit=4${next === null ? '' : `&before=${next}`}`);
      assert.equal(page.status, 200, page.text);
      paged.push(...page.body.data.map((e: Event) => e.id));
      next = page.body.next;
    } while (next !== null);
    assert.deepEqual(paged, all.map((e) => e.id));
  });

  it('shows a workspace\'s key only its workspace\'s events, and another workspace\'s request as not found', async () => {
    const wsAdmin = (await admin('POST', '/api/keys', { name: 'a-admin', role: 'admin', workspaceId: 'ws-a' })).body.key;
    const asA = (method: string, path: string) => call(method, path, undefined, { authorization: `Bearer ${wsAdmin}` });
    const own = await asA('GET', '/api/audit?limit=1000');
    assert.equal(own.status, 200, own.text);
    const data = own.body.data as Event[];
    assert.ok(data.length > 0);
    assert.ok(data.every((e) => e.workspaceId === 'ws-a'), JSON.stringify(data.map((e) => e.workspaceId)));
    assert.ok(data.some((e) => e.action === 'limit.refused'));
    const otherRequest = ((await call('GET', '/api/audit?action=budget.refused')).body.data as Event[])[0]!.requestId!;
    assert.equal((await call('GET', `/api/audit/${otherRequest}`)).status, 200, 'an admin key of no workspace sees it');
    const hidden = await asA('GET', `/api/audit/${otherRequest}`);
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, 'SB_NOT_FOUND');
    const forbidden = await asA('GET', '/api/audit?workspaceId=ws-b');
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    // The attempt itself is the operators' to see: an auth.forbidden event of no workspace, by a key of ws-a.
    const [attempt] = await eventsOf(forbidden);
    assert.deepEqual([attempt!.action, attempt!.code, attempt!.actorWorkspaceId, attempt!.workspaceId, attempt!.targetId], ['auth.forbidden', 'SB_WORKSPACE_FORBIDDEN', 'ws-a', null, 'GET /api/audit']);
    assert.equal((await asA('GET', `/api/audit/${requestId(forbidden)}`)).status, 404);
    const configEvents = await asA('GET', '/api/audit?action=config.');
    assert.deepEqual(configEvents.body.data, [], 'what every workspace shares is not a workspace\'s');
  });

  it('answers bad filters with 400 SB_INVALID_REQUEST naming the field', async () => {
    const cases: Array<[string, string]> = [
      ['since=yesterday', 'since'], ['until=2025-13-01T00:00:00Z', 'until'], ['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=ten', 'limit'],
      ['outcome=maybe', 'outcome'], ['action=Key%20Create', 'action'], ['colour=red', 'colour'], ['before=no-such-event', 'before'],
    ];
    for (const [query, param] of cases) {
      const res = await call('GET', `/api/audit?${query}`);
      assert.equal(res.status, 400, `${query}: ${res.text}`);
      assert.equal(res.body.error.code, 'SB_INVALID_REQUEST', query);
      assert.equal(res.body.error.param, param, query);
    }
  });
});
