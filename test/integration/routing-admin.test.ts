// Seed 002's routing rules, agent preferences and workspace configuration, and seed 004's overrides, through the
// admin API of a running gateway: the seeds' own bodies, every route, unknown ids, bad bodies, the version history
// as the audit trail, and what each change does to the next request on /v1.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { adminCall, issuePaths } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = {
  providers: [
    { name: 'mock', type: 'mock', models: ['mock', 'mock-large'] },
    // Nothing listens on port 9: these only make seed 002's names (gpt-4, claude-3-sonnet) resolve by prefix.
    { name: 'openai', type: 'openai', apiKey: 'env:OPENAI_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9/v1' },
    { name: 'anthropic', type: 'anthropic', apiKey: 'env:ANTHROPIC_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9' },
  ],
  models: [
    { name: 'Mock A', id: 'mock-a', provider: 'mock', version: 'mock' },
    { name: 'Mock B', id: 'mock-b', provider: 'mock', version: 'mock-large', capabilities: [{ type: 'text-generation' }] },
  ],
};

// Copied from seed 002.
const SEED_RULE = {
  name: 'Creative Agent Claude Preference',
  condition: {
    agentType: ['creative'],
    requestType: ['completion', 'chat'],
    contentLength: {
      min: 100,
      max: 2000,
    },
  },
  targetModels: [
    {
      modelId: 'claude-3-sonnet',
      weight: 0.7,
      fallbackOrder: 1,
    },
    {
      modelId: 'gpt-4',
      weight: 0.3,
      fallbackOrder: 2,
    },
  ],
  trafficSplit: {
    primary: 80,
    canary: 20,
  },
  priority: 100,
  enabled: true,
};
const SEED_PREFERENCES = {
  preferredModels: ['gpt-4', 'claude-3-sonnet'],
  fallbackModels: ['gpt-3.5-turbo'],
  requiredCapabilities: ['text-generation'],
  performanceRequirements: {
    maxLatency: 5000,
    minSuccessRate: 0.95,
    maxCostPerToken: 0.01,
  },
};
const SEED_WORKSPACE = {
  modelRestrictions: ['gpt-4', 'claude-3-sonnet'],
  budgetLimits: {
    daily: 100,
    weekly: 500,
    monthly: 2000,
  },
  qualityRequirements: {
    minSuccessRate: 0.95,
    maxLatency: 5000,
  },
  complianceRequirements: ['gdpr', 'ccpa', 'hipaa'],
};

describe('routing admin API', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const chat = (model: string, headers: Record<string, string> = {}) => call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, headers);
  const latest = async (): Promise<{ author: string; summary: string }> => (await call('GET', '/api/config/versions')).body.data[0];

  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  describe('rules', () => {
    it("adds seed 002's rule as written: 201, its id the name's slug, its models resolved by name prefix", async () => {
      const res = await call('POST', '/api/routing/rules', SEED_RULE);
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.id, 'creative-agent-claude-preference');
      assert.deepEqual(res.body.condition, SEED_RULE.condition);
      assert.deepEqual(res.body.targetModels, SEED_RULE.targetModels);
      assert.deepEqual(res.body.trafficSplit, { primary: 80, canary: 20 });
      assert.equal(res.body.priority, 100);
      assert.equal(res.body.stickyKey, 'user');
      assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
      assert.deepEqual(await latest(), { ...(await latest()), author: 'env-admin', summary: 'rule creative-agent-claude-preference created (Creative Agent Claude Preference, priority 100)' });
    });

    it('lists rules highest priority first, and gets one by id', async () => {
      assert.equal((await call('POST', '/api/routing/rules', { name: 'Low', targetModels: [{ modelId: 'mock-a' }], priority: 5 })).status, 201);
      assert.equal((await call('POST', '/api/routing/rules', { id: 'writers', name: 'Writers', condition: { agentType: ['writer'] }, targetModels: [{ modelId: 'mock-b' }], priority: 500 })).status, 201);
      const list = await call('GET', '/api/routing/rules');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.map((r: { id: string }) => r.id), ['writers', 'creative-agent-claude-preference', 'low']);
      assert.equal(list.body.total, 3);
      const one = await call('GET', '/api/routing/rules/writers');
      assert.equal(one.body.name, 'Writers');
      const again = await call('POST', '/api/routing/rules', { name: 'Low', targetModels: [{ modelId: 'mock-a' }] });
      assert.equal(again.body.id, 'low-2');
      assert.equal((await call('DELETE', '/api/routing/rules/low-2')).status, 204);
    });

    it('routes the next /v1 request by a rule just added', async () => {
      const res = await chat('mock-a', { 'x-switchboard-agent-type': 'writer' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('x-switchboard-rule'), 'writers');
      assert.equal(res.headers.get('x-switchboard-model'), 'mock-b');
    });

    it('changes the fields a PATCH gives; the id cannot change', async () => {
      const res = await call('PATCH', '/api/routing/rules/writers', { priority: 50, enabled: false });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.priority, 50);
      assert.equal(res.body.enabled, false);
      assert.equal(res.body.name, 'Writers');
      assert.equal((await latest()).summary, 'rule writers updated: priority, enabled');
      const after = await chat('mock-a', { 'x-switchboard-agent-type': 'writer' });
      assert.equal(after.headers.get('x-switchboard-rule'), 'low', 'a disabled rule routes nothing: the catch-all rule takes the request');
      const idChange = await call('PATCH', '/api/routing/rules/writers', { id: 'readers' });
      assert.equal(idChange.status, 400);
      assert.equal(idChange.body.error.param, 'id');
    });

    it('refuses bad rules naming the field: empty targets, negative priority, weights, splits, unknown models', async () => {
      const bad = await call('POST', '/api/routing/rules', { name: '', targetModels: [], priority: -1, colour: 'red', createdAt: '2024-01-01T00:00:00Z' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'SB_INVALID_REQUEST');
      // (routingRuleSchema also reports targetModels.0.weight for an empty list: its weight check runs regardless.)
      assert.deepEqual(issuePaths(bad), ['colour', 'createdAt', 'name', 'priority', 'targetModels', 'targetModels.0.weight']);
      const weights = await call('POST', '/api/routing/rules', { name: 'w', targetModels: [{ modelId: 'mock-a', weight: 0 }, { modelId: 'mock-b', weight: 0 }] });
      assert.deepEqual(issuePaths(weights), ['targetModels.0.weight']);
      const split = await call('POST', '/api/routing/rules', { name: 's', targetModels: [{ modelId: 'mock-a' }, { modelId: 'mock-b' }], trafficSplit: { primary: 50, canary: 60 } });
      assert.deepEqual(issuePaths(split), ['trafficSplit.primary']);
      const unknown = await call('POST', '/api/routing/rules', { name: 'u', targetModels: [{ modelId: 'mock-a' }, { modelId: 'nothing-serves-this' }] });
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(unknown), ['targetModels.1.modelId']);
      const dupId = await call('POST', '/api/routing/rules', { id: 'writers', name: 'x', targetModels: [{ modelId: 'mock-a' }] });
      assert.equal(dupId.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(dupId), ['id']);
      const patchEmpty = await call('PATCH', '/api/routing/rules/writers', { targetModels: [], priority: -5 });
      assert.deepEqual(issuePaths(patchEmpty), ['priority', 'targetModels']);
      // A check across fields is the whole configuration's: one target cannot carry a traffic split.
      const patchSplit = await call('PATCH', '/api/routing/rules/creative-agent-claude-preference', { targetModels: [{ modelId: 'gpt-4' }] });
      assert.equal(patchSplit.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(patchSplit), ['trafficSplit']);
      assert.equal((await call('GET', '/api/routing/rules')).body.total, 3, 'nothing was added');
    });

    it('deletes a rule (204) and answers SB_RULE_NOT_FOUND for unknown ids', async () => {
      const res = await call('DELETE', '/api/routing/rules/low');
      assert.equal(res.status, 204);
      assert.equal((await latest()).summary, 'rule low deleted (Low)');
      for (const [method, body] of [['GET'], ['PATCH', { priority: 1 }], ['DELETE']] as Array<[string, unknown?]>) {
        const missing = await call(method, '/api/routing/rules/low', body);
        assert.equal(missing.status, 404, `${method}: ${missing.text}`);
        assert.equal(missing.body.error.code, 'SB_RULE_NOT_FOUND');
      }
      assert.equal((await call('GET', '/api/routing/rules/not a valid id')).status, 400);
    });
  });

  describe('agents', () => {
    it("sets seed 002's agent preferences as written and gets them back", async () => {
      const res = await call('POST', '/api/agents/creative/preferences', SEED_PREFERENCES);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual({ ...res.body, updatedAt: undefined }, { ...SEED_PREFERENCES, updatedAt: undefined });
      assert.ok(!Number.isNaN(Date.parse(res.body.updatedAt)));
      assert.equal((await latest()).summary, 'agent creative preferences set: preferred gpt-4, claude-3-sonnet');
      const got = await call('GET', '/api/agents/creative/preferences');
      assert.deepEqual(got.body, res.body);
    });

    it('replaces preferences whole', async () => {
      const res = await call('POST', '/api/agents/summarizer/preferences', { preferredModels: ['mock-a'], fallbackModels: ['mock-b'] });
      assert.equal(res.status, 200, res.text);
      const replaced = await call('POST', '/api/agents/summarizer/preferences', { preferredModels: ['mock-b', 'mock-a'], requiredCapabilities: ['text-generation'] });
      assert.deepEqual(replaced.body.preferredModels, ['mock-b', 'mock-a']);
      assert.deepEqual(replaced.body.fallbackModels, [], 'what the new body lacks is gone');
      assert.equal((await latest()).summary, 'agent summarizer preferences replaced: preferred mock-b, mock-a');
    });

    it('lists the models that could serve an agent now, each kept or dropped with the step and the reason', async () => {
      const res = await call('GET', '/api/agents/summarizer/models');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.agentType, 'summarizer');
      assert.deepEqual(res.body.models.map((m: { modelId: string; kept: boolean; step: string; source: string }) => [m.modelId, m.kept, m.step, m.source]), [
        ['mock-b', true, 'order', 'agent-preferred'],
        ['mock-a', true, 'order', 'agent-preferred'],
      ]);
      assert.equal(res.body.failure, null);
      assert.ok(Array.isArray(res.body.explanation.steps));
      // Seed 002's creative agent: its rule wants 100+ characters, so its preferences decide; the fallback comes last.
      const creative = await call('GET', '/api/agents/creative/models');
      const models = creative.body.models as Array<{ modelId: string; source: string; kept: boolean; reason: string }>;
      assert.deepEqual(models.map((m) => [m.modelId, m.source]), [['gpt-4', 'agent-preferred'], ['claude-3-sonnet', 'agent-preferred'], ['gpt-3.5-turbo', 'agent-fallback']]);
      for (const m of models) assert.ok(m.kept && m.reason.length > 0, JSON.stringify(m));
      const none = await call('GET', '/api/agents/nobody/models');
      assert.equal(none.status, 200);
      assert.deepEqual(none.body.models, []);
      assert.equal(none.body.failure.code, 'SB_NO_ROUTE');
    });

    it('answers SB_AGENT_NOT_FOUND for an agent without preferences, and refuses bad bodies with their fields', async () => {
      const missing = await call('GET', '/api/agents/nobody/preferences');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'SB_AGENT_NOT_FOUND');
      const bad = await call('POST', '/api/agents/creative/preferences', { preferredModels: 'gpt-4', performanceRequirements: { minSuccessRate: 2, maxLatency: -1 }, mood: 'happy', updatedAt: '2024-01-01T00:00:00Z' });
      assert.equal(bad.status, 400);
      assert.deepEqual(issuePaths(bad), ['mood', 'performanceRequirements.maxLatency', 'performanceRequirements.minSuccessRate', 'preferredModels', 'updatedAt']);
      const unknown = await call('POST', '/api/agents/creative/preferences', { preferredModels: ['mock-a', 'nothing-serves-this'] });
      assert.equal(unknown.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(unknown), ['preferredModels.1']);
      assert.deepEqual((await call('GET', '/api/agents/creative/preferences')).body.preferredModels, ['gpt-4', 'claude-3-sonnet'], 'nothing applied');
    });
  });

  describe('workspaces', () => {
    it("sets seed 002's workspace config as written, budget limits included, and gets it back", async () => {
      const res = await call('POST', '/api/workspaces/ws-marketing-001/config', SEED_WORKSPACE);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual({ ...res.body, updatedAt: undefined }, { ...SEED_WORKSPACE, id: 'ws-marketing-001', updatedAt: undefined });
      assert.deepEqual(res.body.budgetLimits, { daily: 100, weekly: 500, monthly: 2000 });
      assert.equal((await latest()).summary, 'workspace ws-marketing-001 config set: modelRestrictions, budgetLimits, qualityRequirements, complianceRequirements');
      assert.deepEqual((await call('GET', '/api/workspaces/ws-marketing-001/config')).body, res.body);
    });

    it('restricts the next request of the workspace, and replaces the config whole', async () => {
      assert.equal((await call('POST', '/api/workspaces/ws-ops/config', { modelRestrictions: ['mock-b'] })).status, 200);
      const refused = await chat('mock-a', { 'x-switchboard-workspace': 'ws-ops' });
      assert.equal(refused.status, 403, refused.text);
      assert.equal(refused.body.error.code, 'SB_MODEL_RESTRICTED');
      const res = await call('POST', '/api/workspaces/ws-ops/config', { tier: 'gold' });
      assert.equal(res.body.modelRestrictions, undefined);
      assert.equal((await chat('mock-a', { 'x-switchboard-workspace': 'ws-ops' })).status, 200);
      assert.equal((await latest()).summary, 'workspace ws-ops config replaced: tier');
    });

    it('answers SB_WORKSPACE_NOT_FOUND for an unknown workspace, and refuses bad bodies with their fields', async () => {
      const missing = await call('GET', '/api/workspaces/ws-none/config');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'SB_WORKSPACE_NOT_FOUND');
      const bad = await call('POST', '/api/workspaces/ws-ops/config', { budgetLimits: { daily: -1, yearly: 5 }, rateLimits: { requestsPerMinute: 0 } });
      assert.equal(bad.status, 400);
      assert.deepEqual(issuePaths(bad), ['budgetLimits.daily', 'budgetLimits.yearly', 'rateLimits.requestsPerMinute']);
      const unknown = await call('POST', '/api/workspaces/ws-ops/config', { modelRestrictions: ['nothing-serves-this'] });
      assert.equal(unknown.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(unknown), ['modelRestrictions.0']);
    });
  });

  describe('overrides', () => {
    let forced = '';

    it('creates an override with a reason and a lifetime: stored with expiresAt, createdAt and createdBy, in force at once', async () => {
      const before = Date.now();
      const res = await call('POST', '/api/routing/overrides', { kind: 'force_target', match: { model: 'mock-a' }, modelId: 'mock-b', reason: 'mock-a is slow today', ttlSeconds: 3600 });
      assert.equal(res.status, 201, res.text);
      forced = res.body.id;
      assert.match(forced, /^force-target-[0-9a-f]{8}$/);
      assert.equal(res.body.createdBy, 'env-admin');
      assert.equal(res.body.active, true);
      const expires = Date.parse(res.body.expiresAt);
      assert.ok(expires >= before + 3600_000 && expires <= Date.now() + 3600_000, res.body.expiresAt);
      assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
      assert.deepEqual(await latest(), { ...(await latest()), author: 'env-admin', summary: `override ${forced} created: mock-a is slow today` });
      const served = await chat('mock-a');
      assert.equal(served.headers.get('x-switchboard-model'), 'mock-b');
    });

    it('takes an expiresAt instead, and a pin or a disabled endpoint', async () => {
      const expiresAt = new Date(Date.now() + 600_000).toISOString();
      const pin = await call('POST', '/api/routing/overrides', { id: 'pin-ops', kind: 'pin', match: { workspaceId: 'ws-ops' }, modelId: 'mock-a', reason: 'incident 42', expiresAt });
      assert.equal(pin.status, 201, pin.text);
      assert.equal(pin.body.expiresAt, expiresAt);
      assert.equal((await chat('mock-b', { 'x-switchboard-workspace': 'ws-ops' })).headers.get('x-switchboard-model'), 'mock-a');
      const disable = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', endpoint: 'openai', reason: 'provider outage', ttlSeconds: 60 });
      assert.equal(disable.status, 201, disable.text);
      const dup = await call('POST', '/api/routing/overrides', { id: 'pin-ops', kind: 'pin', match: { keyId: 'k' }, modelId: 'mock-a', reason: 'again', ttlSeconds: 60 });
      assert.equal(dup.status, 400);
      assert.equal(dup.body.error.param, 'id');
    });

    it('refuses overrides without a reason or a lifetime, or missing what their kind needs, naming the field', async () => {
      const bare = await call('POST', '/api/routing/overrides', { kind: 'force_target', modelId: 'mock-b', createdBy: 'me' });
      assert.equal(bare.status, 400);
      assert.equal(bare.body.error.code, 'SB_INVALID_REQUEST');
      assert.deepEqual(issuePaths(bare), ['createdBy', 'reason']);
      const lifetime = await call('POST', '/api/routing/overrides', { kind: 'pin', match: { workspaceId: 'w' }, modelId: 'mock-a', reason: 'r' });
      assert.deepEqual(issuePaths(lifetime), ['ttlSeconds']);
      const kind = await call('POST', '/api/routing/overrides', { kind: 'force_target', modelId: 'mock-b', reason: 'r', ttlSeconds: 60 });
      assert.deepEqual(issuePaths(kind), ['match.model']);
      const endpoint = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', reason: 'r', ttlSeconds: 60 });
      assert.deepEqual(issuePaths(endpoint), ['endpoint']);
      const long = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', endpoint: 'mock', reason: 'r', ttlSeconds: 31 * 24 * 3600 });
      assert.deepEqual(issuePaths(long), ['ttlSeconds']);
      const past = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', endpoint: 'mock', reason: 'r', expiresAt: '2020-01-01T00:00:00Z' });
      assert.deepEqual(issuePaths(past), ['expiresAt']);
      const both = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', endpoint: 'mock', reason: 'r', ttlSeconds: 5, expiresAt: new Date(Date.now() + 60_000).toISOString() });
      assert.deepEqual(issuePaths(both), ['ttlSeconds']);
      const unknown = await call('POST', '/api/routing/overrides', { kind: 'disable_endpoint', endpoint: 'nowhere', reason: 'r', ttlSeconds: 60 });
      assert.equal(unknown.body.error.code, 'SB_CONFIG_INVALID');
      assert.deepEqual(issuePaths(unknown), ['endpoint']);
    });

    it('lists those in force; ?all=true shows expired ones too, which the next override change removes', async () => {
      const short = await call('POST', '/api/routing/overrides', { id: 'short', kind: 'force_target', match: { model: 'mock-b' }, modelId: 'mock-a', reason: 'a moment', ttlSeconds: 1 });
      assert.equal(short.status, 201, short.text);
      assert.equal((await chat('mock-b')).headers.get('x-switchboard-model'), 'mock-a');
      await sleep(1100);
      assert.equal((await chat('mock-b')).headers.get('x-switchboard-model'), 'mock-b', 'the engine ignores an expired override');
      const inForce = await call('GET', '/api/routing/overrides');
      assert.equal(inForce.status, 200);
      assert.deepEqual(inForce.body.data.map((o: { id: string }) => o.id).sort(), [forced, 'pin-ops', inForce.body.data.find((o: { kind: string }) => o.kind === 'disable_endpoint').id].sort());
      const all = await call('GET', '/api/routing/overrides?all=true');
      assert.deepEqual(all.body.data.find((o: { id: string }) => o.id === 'short')?.active, false);
      assert.equal(all.body.total, 4);
      assert.equal((await call('GET', '/api/routing/overrides?all=maybe')).status, 400);
      const next = await call('POST', '/api/routing/overrides', { id: 'next', kind: 'pin', match: { keyId: 'k-none' }, modelId: 'mock-a', reason: 'tidy', ttlSeconds: 60 });
      assert.equal(next.status, 201, next.text);
      assert.equal((await latest()).summary, 'override next created: tidy; 1 expired override removed');
      assert.equal((await call('GET', '/api/routing/overrides?all=true')).body.data.some((o: { id: string }) => o.id === 'short'), false);
    });

    it('deletes an override (204), the audit trail saying which and why; unknown ids are SB_OVERRIDE_NOT_FOUND', async () => {
      const res = await call('DELETE', `/api/routing/overrides/${forced}`);
      assert.equal(res.status, 204);
      assert.equal((await latest()).summary, `override ${forced} deleted (force_target: mock-a is slow today)`);
      assert.equal((await chat('mock-a')).headers.get('x-switchboard-model'), 'mock-a');
      const again = await call('DELETE', `/api/routing/overrides/${forced}`);
      assert.equal(again.status, 404);
      assert.equal(again.body.error.code, 'SB_OVERRIDE_NOT_FOUND');
    });
  });
});
