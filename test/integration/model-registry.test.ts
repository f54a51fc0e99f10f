// Seed 002's model registry through the admin API of a running gateway: the seed's own bodies, every route,
// unknown ids, bad bodies, the version history, and registered models served (or refused) on /v1.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall, issuePaths } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = {
  providers: [
    { name: 'mock', type: 'mock', models: ['mock'] },
    // Nothing listens on port 9: these only make seed 002's names (gpt-4, claude-3-sonnet) resolve.
    { name: 'openai', type: 'openai', apiKey: 'env:OPENAI_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9/v1' },
    { name: 'anthropic', type: 'anthropic', apiKey: 'env:ANTHROPIC_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9' },
  ],
};

// Copied from seed 002.
const SEED_MODEL = {
  name: 'GPT-4 Turbo',
  version: 'gpt-4-1106-preview',
  provider: 'openai',
  modelType: 'chat',
  capabilities: [
    {
      type: 'text-generation',
      maxTokens: 4096,
    },
  ],
  parameters: {
    temperature: 0.7,
    maxTokens: 4096,
  },
  status: 'active',
  tags: ['gpt-4', 'high-quality', 'reasoning'],
};
const SEED_ENDPOINT = {
  url: 'https://api.openai.com/v1/chat/completions',
  type: 'primary',
  weight: 1.0,
  healthCheckUrl: 'https://api.openai.com/v1/models',
};
const SEED_HEALTH = {
  status: 'healthy',
  responseTime: 500,
  errorRate: 0.01,
  availability: 99.9,
};
const SEED_BATCH = {
  updates: [
    {
      modelId: 'model-1',
      status: 'active',
    },
    {
      modelId: 'model-2',
      status: 'inactive',
    },
  ],
};

describe('model registry admin API', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const chat = (model: string) => call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
  const summaries = async (): Promise<string[]> => (await call('GET', '/api/config/versions')).body.data.map((v: { summary: string }) => v.summary);

  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  it("registers seed 002's GPT-4 Turbo body as written: 201 with the stored entry, its id the name's slug", async () => {
    const res = await call('POST', '/api/models', SEED_MODEL);
    assert.equal(res.status, 201, res.text);
    const m = res.body;
    assert.equal(m.id, 'gpt-4-turbo');
    assert.equal(m.name, 'GPT-4 Turbo');
    assert.equal(m.version, 'gpt-4-1106-preview');
    assert.equal(m.provider, 'openai');
    assert.deepEqual(m.capabilities, [{ type: 'text-generation', maxTokens: 4096 }]);
    assert.deepEqual(m.parameters, { temperature: 0.7, maxTokens: 4096 });
    assert.deepEqual(m.tags, ['gpt-4', 'high-quality', 'reasoning']);
    assert.deepEqual(m.endpoints, []);
    assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
    assert.equal(m.createdAt, m.updatedAt);
    const version = (await call('GET', '/api/config/versions')).body.data[0];
    assert.equal(version.author, 'env-admin');
    assert.equal(version.summary, 'model gpt-4-turbo registered (GPT-4 Turbo, provider openai)');
  });

  it('gets a model by id, name or alias', async () => {
    for (const ref of ['gpt-4-turbo', encodeURIComponent('GPT-4 Turbo')]) {
      const res = await call('GET', `/api/models/${ref}`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.id, 'gpt-4-turbo');
    }
    const patched = await call('PATCH', '/api/models/gpt-4-turbo', { aliases: ['turbo'] });
    assert.equal(patched.status, 200, patched.text);
    assert.equal((await call('GET', '/api/models/turbo')).body.id, 'gpt-4-turbo');
  });

  it('makes generated ids unique (-2, -3 …) and takes a given one', async () => {
    const second = await call('POST', '/api/models', { ...SEED_MODEL, name: 'GPT 4 Turbo' });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.id, 'gpt-4-turbo-2');
    const given = await call('POST', '/api/models', { name: 'Mock Chat', id: 'mock-chat', provider: 'mock', version: 'mock', tags: ['cheap'] });
    assert.equal(given.status, 201, given.text);
    assert.equal(given.body.id, 'mock-chat');
    assert.equal(given.body.status, 'active');
  });

  it('lists models with seed 002\'s filters, as { data, total }', async () => {
    const all = await call('GET', '/api/models');
    assert.equal(all.status, 200);
    assert.equal(all.body.total, all.body.data.length);
    assert.deepEqual(all.body.data.map((m: { id: string }) => m.id), ['gpt-4-turbo', 'gpt-4-turbo-2', 'mock-chat']);
    const openai = await call('GET', '/api/models?provider=openai&status=active&modelType=chat');
    assert.deepEqual(openai.body.data.map((m: { id: string }) => m.id), ['gpt-4-turbo', 'gpt-4-turbo-2']);
    assert.deepEqual((await call('GET', '/api/models?tag=cheap')).body.data.map((m: { id: string }) => m.id), ['mock-chat']);
    assert.equal((await call('GET', '/api/models?status=deprecated')).body.total, 0);
    const bad = await call('GET', '/api/models?status=sleeping&colour=red');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual(issuePaths(bad), ['colour', 'status']);
  });

  it('serves a registered model on /v1/chat/completions by its name and by its id', async () => {
    for (const model of ['Mock Chat', 'mock-chat']) {
      const res = await chat(model);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('x-switchboard-model'), 'mock-chat');
      assert.equal(res.body.model, 'mock');
    }
  });

  it('changes only the fields a PATCH gives; null puts a default back; the id cannot change', async () => {
    const res = await call('PATCH', '/api/models/mock-chat', { description: 'the cheap one', tags: ['cheap', 'fast'] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.description, 'the cheap one');
    assert.deepEqual(res.body.tags, ['cheap', 'fast']);
    assert.equal(res.body.version, 'mock', 'untouched fields stay');
    assert.ok(res.body.updatedAt > res.body.createdAt || res.body.updatedAt === res.body.createdAt);
    const renamed = await call('PATCH', '/api/models/mock-chat', { name: 'Mock Chat 2' });
    assert.equal(renamed.body.id, 'mock-chat', 'a rename keeps the id');
    assert.equal((await chat('Mock Chat 2')).status, 200);
    const reset = await call('PATCH', '/api/models/mock-chat', { description: null, name: 'Mock Chat' });
    assert.equal(reset.body.description, undefined);
    assert.ok((await summaries()).includes('model mock-chat updated: description, name'));
    const idChange = await call('PATCH', '/api/models/mock-chat', { id: 'other' });
    assert.equal(idChange.status, 400);
    assert.equal(idChange.body.error.param, 'id');
    const sameId = await call('PATCH', '/api/models/mock-chat', { id: 'mock-chat', tags: ['cheap'] });
    assert.equal(sameId.status, 200, sameId.text);
  });

  it('refuses bad PATCH bodies naming every field', async () => {
    const res = await call('PATCH', '/api/models/mock-chat', { modelType: 'hologram', colour: 'red', createdAt: '2024-01-01T00:00:00Z', name: null, capabilities: [{ type: '' }] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual(issuePaths(res), ['capabilities.0.type', 'colour', 'createdAt', 'modelType', 'name']);
    assert.equal((await call('PATCH', '/api/models/mock-chat', {})).status, 400);
    assert.equal((await call('PATCH', '/api/models/mock-chat', [1])).status, 400);
    // Valid on its own, refused by the whole configuration: the path is the body's.
    const ghost = await call('PATCH', '/api/models/mock-chat', { provider: 'ghost' });
    assert.equal(ghost.status, 400);
    assert.equal(ghost.body.error.code, 'SB_CONFIG_INVALID');
    assert.deepEqual(issuePaths(ghost), ['provider']);
  });

  it('refuses bad POST bodies with every field, schema issues first, then the whole configuration\'s', async () => {
    const res = await call('POST', '/api/models', { version: 'x', status: 'sleeping', colour: 'red', updatedAt: '2024-01-01T00:00:00Z', endpoints: [{ url: 'ftp://x', weight: -1 }] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual(issuePaths(res), ['colour', 'endpoints.0.url', 'endpoints.0.weight', 'name', 'provider', 'status', 'updatedAt']);
    assert.equal(res.body.error.param, res.body.error.issues[0].path);
    const ghost = await call('POST', '/api/models', { name: 'Ghost', provider: 'ghost', version: 'v', fallbacks: ['nothing-serves-this'] });
    assert.equal(ghost.status, 400);
    assert.equal(ghost.body.error.code, 'SB_CONFIG_INVALID');
    assert.deepEqual(issuePaths(ghost), ['fallbacks.0', 'provider']);
    const dup = await call('POST', '/api/models', { name: 'GPT-4 Turbo', provider: 'openai' });
    assert.equal(dup.status, 400);
    assert.deepEqual(issuePaths(dup), ['name']);
    assert.equal((await call('GET', '/api/models')).body.total, 3, 'nothing was added');
  });

  it('refuses an inactive model on /v1 with SB_MODEL_INACTIVE, and serves it again once active', async () => {
    const res = await call('PATCH', '/api/models/mock-chat/status', { status: 'inactive' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.status, 'inactive');
    assert.equal((await summaries())[0], 'model mock-chat status active → inactive');
    const refused = await chat('mock-chat');
    assert.equal(refused.status, 404);
    assert.equal(refused.body.error.code, 'SB_MODEL_INACTIVE');
    const bad = await call('PATCH', '/api/models/mock-chat/status', { status: 'asleep', extra: 1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(issuePaths(bad), ['extra', 'status']);
    await call('PATCH', '/api/models/mock-chat/status', { status: 'active' });
    assert.equal((await chat('mock-chat')).status, 200);
  });

  it("applies seed 002's batch status body in one version, and none of it when an id is unknown", async () => {
    for (const id of ['model-1', 'model-2']) assert.equal((await call('POST', '/api/models', { name: id, provider: 'mock', version: 'mock', status: 'deprecated' })).status, 201);
    const before = (await call('GET', '/api/config')).body.version;
    const res = await call('PATCH', '/api/models/batch/status', SEED_BATCH);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.data.map((m: { id: string; status: string }) => [m.id, m.status]), [['model-1', 'active'], ['model-2', 'inactive']]);
    assert.equal((await call('GET', '/api/config')).body.version, before + 1, 'one version for the whole batch');
    assert.equal((await summaries())[0], 'models status: model-1 deprecated → active, model-2 deprecated → inactive');
    const unknown = await call('PATCH', '/api/models/batch/status', { updates: [{ modelId: 'model-1', status: 'inactive' }, { modelId: 'nope', status: 'active' }, { modelId: 'gone', status: 'active' }] });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'SB_MODEL_NOT_FOUND');
    assert.deepEqual(issuePaths(unknown), ['updates.1.modelId', 'updates.2.modelId']);
    assert.match(unknown.body.error.message, /"nope", "gone"/);
    assert.equal((await call('GET', '/api/models/model-1')).body.status, 'active', 'nothing applied');
    const empty = await call('PATCH', '/api/models/batch/status', { updates: [] });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.param, 'updates');
    // The static "batch" segment does not take the per-model route's place, nor the other way round.
    assert.equal((await call('PATCH', '/api/models/model-1/status', { status: 'inactive' })).body.status, 'inactive');
    assert.equal((await call('PATCH', '/api/models/batch/status', { status: 'inactive' })).status, 400);
  });

  it("adds seed 002's endpoint body: 201 with its id and the provider name it is called as; lists it with its health", async () => {
    const res = await call('POST', '/api/models/gpt-4-turbo/endpoints', SEED_ENDPOINT);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.id, 'e1');
    assert.equal(res.body.provider, 'gpt-4-turbo@e1');
    assert.equal(res.body.url, SEED_ENDPOINT.url);
    assert.equal(res.body.type, 'primary');
    assert.equal(res.body.weight, 1);
    assert.equal(res.body.mode, 'direct');
    // The seed's URL is a real one: replace it at once with local ones, so no probe leaves this machine.
    const local = await call('PATCH', '/api/models/gpt-4-turbo', { endpoints: [{ id: 'e1', url: 'http://127.0.0.1:9/v1' }] });
    assert.equal(local.status, 200, local.text);
    const second = await call('POST', '/api/models/gpt-4-turbo/endpoints', { url: 'http://127.0.0.1:9/v1', type: 'secondary', region: 'eu-west-1', credentials: 'env:OPENAI_PROVIDER_KEY' });
    assert.equal(second.status, 201, second.text);
    assert.equal(second.body.id, 'e2');
    assert.equal((await summaries())[0], 'model gpt-4-turbo endpoint e2 added (http://127.0.0.1:9/v1)');
    const named = await call('POST', '/api/models/gpt-4-turbo/endpoints', { id: 'backup', url: 'http://127.0.0.1:9/v1', weight: 2 });
    assert.equal(named.body.provider, 'gpt-4-turbo@backup');
    const list = await call('GET', '/api/models/gpt-4-turbo/endpoints');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.data.map((e: { id: string; provider: string }) => [e.id, e.provider]), [['e1', 'gpt-4-turbo@e1'], ['e2', 'gpt-4-turbo@e2'], ['backup', 'gpt-4-turbo@backup']]);
    const health = list.body.data[0].health;
    assert.equal(health.id, 'provider:gpt-4-turbo@e1');
    assert.equal(health.available, true);
    assert.equal(health.breaker, 'closed');
    assert.equal(list.body.data[1].region, 'eu-west-1');
  });

  it('refuses bad endpoint bodies with their fields, and a duplicate id by the whole configuration', async () => {
    const bad = await call('POST', '/api/models/gpt-4-turbo/endpoints', { url: 'ftp://example.com', weight: -1, type: 'tertiary', mode: 'embedded', speed: 3 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual(issuePaths(bad), ['speed', 'type', 'url', 'weight']);
    const embedded = await call('POST', '/api/models/gpt-4-turbo/endpoints', { url: 'http://127.0.0.1:9/v1', mode: 'embedded' });
    assert.deepEqual(issuePaths(embedded), ['embedded']);
    const dup = await call('POST', '/api/models/gpt-4-turbo/endpoints', { id: 'e2', url: 'http://127.0.0.1:9/v1' });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error.code, 'SB_CONFIG_INVALID');
    assert.deepEqual(issuePaths(dup), ['id']);
  });

  it("stores seed 002's health body as the model's report and answers the model's health", async () => {
    const res = await call('POST', '/api/models/gpt-4-turbo/health', SEED_HEALTH);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.modelId, 'gpt-4-turbo');
    assert.equal(res.body.status, 'healthy');
    assert.deepEqual({ ...res.body.reported, reportedAt: undefined }, { ...SEED_HEALTH, reportedAt: undefined });
    assert.ok(!Number.isNaN(Date.parse(res.body.reported.reportedAt)));
    assert.equal((await summaries())[0], 'model gpt-4-turbo health reported: healthy');
    const got = await call('GET', '/api/models/gpt-4-turbo/health');
    assert.equal(got.status, 200);
    assert.equal(got.body.healthScore, 1);
    assert.deepEqual(got.body.endpoints.map((e: { provider: string }) => e.provider), ['gpt-4-turbo@e1', 'gpt-4-turbo@e2', 'gpt-4-turbo@backup']);
    assert.equal((await call('GET', '/api/models/gpt-4-turbo')).body.reportedHealth.status, 'healthy');
    const unhealthy = await call('POST', '/api/models/gpt-4-turbo/health', { status: 'unhealthy', errorRate: 0.9 });
    assert.equal(unhealthy.body.status, 'unhealthy');
    const degraded = await call('POST', '/api/models/gpt-4-turbo/health', { status: 'degraded' });
    assert.equal(degraded.body.status, 'degraded');
    // Without endpoints, a model is measured on its provider's endpoint.
    const mock = await call('GET', '/api/models/mock-chat/health');
    assert.deepEqual(mock.body.endpoints.map((e: { provider: string; id: string }) => [e.provider, e.id]), [['mock', 'provider:mock']]);
    assert.equal(mock.body.reported, null);
    const bad = await call('POST', '/api/models/gpt-4-turbo/health', { status: 'fine', errorRate: 2, availability: 101, reportedAt: '2024-01-01T00:00:00Z' });
    assert.equal(bad.status, 400);
    assert.deepEqual(issuePaths(bad), ['availability', 'errorRate', 'reportedAt', 'status']);
  });

  it('refuses to delete a model a rule still names, listing the rule; deletes it otherwise (204)', async () => {
    const rule = await call('POST', '/api/routing/rules', { name: 'Cheap first', targetModels: [{ modelId: 'model-2' }] });
    assert.equal(rule.status, 201, rule.text);
    const refused = await call('DELETE', '/api/models/model-2');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'SB_CONFIG_INVALID');
    assert.deepEqual(issuePaths(refused), ['routingRules.0.targetModels.0.modelId']);
    assert.equal((await call('GET', '/api/models/model-2')).status, 200);
    assert.equal((await call('DELETE', '/api/routing/rules/cheap-first')).status, 204);
    const done = await call('DELETE', '/api/models/model-2');
    assert.equal(done.status, 204, done.text);
    assert.equal(done.text, '');
    assert.equal((await summaries())[0], 'model model-2 deleted');
    assert.equal((await call('GET', '/api/models/model-2')).status, 404);
  });

  it('answers SB_MODEL_NOT_FOUND for an unknown model on every route', async () => {
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/api/models/nope'], ['PATCH', '/api/models/nope', { tags: [] }], ['DELETE', '/api/models/nope'],
      ['PATCH', '/api/models/nope/status', { status: 'active' }], ['POST', '/api/models/nope/endpoints', { url: 'http://127.0.0.1:9' }],
      ['GET', '/api/models/nope/endpoints'], ['POST', '/api/models/nope/health', { status: 'healthy' }], ['GET', '/api/models/nope/health'],
    ];
    for (const [method, path, body] of routes) {
      const res = await call(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.error.code, 'SB_MODEL_NOT_FOUND', `${method} ${path}`);
    }
  });

  it('is for admin keys only', async () => {
    const created = await call('POST', '/api/keys', { name: 'app', role: 'inference' });
    const res = await call('GET', '/api/models', undefined, { authorization: `Bearer ${created.body.key}` });
    assert.equal(res.status, 403);
  });
});
