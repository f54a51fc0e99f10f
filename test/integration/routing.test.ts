// Routing through the running gateway: rules chosen by agent type on /v1 through both official SDKs, seed 002's
// POST /api/route and POST /api/routing/test with the seed's own bodies, and what every answer says of the decision.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = {
  providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }],
  models: [
    { name: 'General', id: 'general', provider: 'mock', version: 'mock' },
    { name: 'Creative Writer', id: 'creative-writer', provider: 'mock', version: 'mock-large', tags: ['creative'] },
    { name: 'Old Model', id: 'old-model', provider: 'mock', version: 'mock', status: 'inactive' },
  ],
  routingRules: [
    { id: 'creative', name: 'Creative agents write with the large model', condition: { agentType: ['creative'] }, targetModels: [{ modelId: 'creative-writer' }], priority: 10 },
    { id: 'long-prompts', name: 'Long prompts', condition: { contentLength: { min: 5000 } }, targetModels: [{ modelId: 'general' }], priority: 5 },
  ],
  agentPreferences: { summarizer: { preferredModels: ['general'], fallbackModels: ['creative-writer'] } },
};

async function post(gw: TestGateway, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: await res.json() as Record<string, unknown> };
}

describe('routing through the gateway', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  it('sends an OpenAI SDK request with the agent-type header to the model the rule names, and says so', async () => {
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0, defaultHeaders: { 'x-switchboard-agent-type': 'creative' } });
    const { data, response } = await client.chat.completions.create({ model: 'general', messages: [{ role: 'user', content: 'write a poem' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'creative-writer');
    assert.equal(response.headers.get('x-switchboard-rule'), 'creative');
    assert.equal(response.headers.get('x-switchboard-target'), 'mock/mock-large');
    assert.equal(data.model, 'mock-large');
  });

  it('sends an Anthropic SDK request with the agent-type header to the model the rule names', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: ADMIN_KEY, maxRetries: 0, defaultHeaders: { 'x-switchboard-agent-type': 'creative' } });
    const { data, response } = await client.messages.create({ model: 'general', max_tokens: 50, messages: [{ role: 'user', content: 'write a poem' }] }).withResponse();
    assert.equal(response.headers.get('x-switchboard-model'), 'creative-writer');
    assert.equal(response.headers.get('x-switchboard-rule'), 'creative');
    assert.equal(data.model, 'mock-large');
  });

  it('serves the requested model with no rule header when no rule matches, by name or by id', async () => {
    for (const model of ['General', 'general']) {
      const res = await post(gw, '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.headers.get('x-switchboard-model'), 'general');
      assert.equal(res.headers.get('x-switchboard-rule'), null);
    }
  });

  it('takes the agent type from the body metadata too', async () => {
    const res = await post(gw, '/v1/chat/completions', { model: 'general', metadata: { agentType: 'creative' }, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.headers.get('x-switchboard-rule'), 'creative');
  });

  it('never serves an inactive model', async () => {
    const res = await post(gw, '/v1/chat/completions', { model: 'old-model', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.status, 404);
    assert.equal((res.body.error as Record<string, unknown>).code, 'SB_MODEL_INACTIVE');
  });

  it("answers seed 002's POST /api/route body in the seed's response shape", async () => {
    // Copied from seed 002.
    const seedBody = {
      id: 'req-12345', agentType: 'creative', workspaceId: 'ws-marketing-001', userId: 'user-123',
      prompt: 'Generate a creative marketing message for our new product',
      parameters: { temperature: 0.8, maxTokens: 500 }, metadata: { requestType: 'completion', priority: 'normal' },
    };
    const res = await post(gw, '/api/route', seedBody);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const b = res.body;
    assert.deepEqual(Object.keys(b).sort(), ['id', 'latency', 'modelId', 'requestId', 'response', 'status', 'timestamp', 'usage']);
    assert.equal(b.requestId, 'req-12345');
    assert.equal(b.modelId, 'creative-writer');
    assert.equal(b.status, 'success');
    assert.match(String(b.response), /creative marketing message/);
    const usage = b.usage as Record<string, number>;
    assert.ok(usage.promptTokens! > 0 && usage.completionTokens! > 0);
    assert.equal(usage.totalTokens, usage.promptTokens! + usage.completionTokens!);
    assert.equal(typeof usage.cost, 'number');
    assert.equal(typeof b.latency, 'number');
    assert.ok(!Number.isNaN(Date.parse(String(b.timestamp))));
    await gw.gateway.deps.usage.flush();
    const usageRows = await gw.storage.usage.list({ requestId: res.headers.get('x-request-id') ?? '' });
    const request = usageRows.find((r) => r.kind === 'request');
    assert.equal(request?.ruleId, 'creative');
    assert.equal(request?.agentType, 'creative');
    assert.equal(request?.workspaceId, 'ws-marketing-001');
    assert.equal(request?.userId, 'user-123');
  });

  it('routes POST /api/route without a model by the agent preferences', async () => {
    const res = await post(gw, '/api/route', { agentType: 'summarizer', prompt: 'sum this up' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.modelId, 'general');
  });

  it('refuses POST /api/route with nothing to route by, and bad bodies with the field', async () => {
    const none = await post(gw, '/api/route', { prompt: 'hello' });
    assert.equal(none.status, 400);
    assert.equal((none.body.error as Record<string, unknown>).code, 'SB_NO_ROUTE');
    const bad = await post(gw, '/api/route', { agentType: 'creative', prompt: 5, parameters: { temperature: 9 } });
    assert.equal(bad.status, 400);
    const error = bad.body.error as Record<string, unknown>;
    assert.equal(error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual((error.issues as Array<{ path: string }>).map((i) => i.path).sort(), ['parameters.temperature', 'prompt']);
  });

  it("explains seed 002's POST /api/routing/test body step by step without calling a provider", async () => {
    // Copied from seed 002.
    const res = await post(gw, '/api/routing/test', { agentType: 'creative', workspaceId: 'ws-marketing-001', requestType: 'completion', prompt: 'Test prompt' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.model, 'creative-writer');
    assert.equal(res.body.ruleId, 'creative');
    const explanation = res.body.explanation as { steps: Array<{ step: string; result: string; checked?: Array<{ id: string; matched: boolean }> }>; candidates: Array<{ model: string; kept: boolean; step: string }> };
    const rule = explanation.steps.find((s) => s.step === 'rule');
    assert.deepEqual(rule?.checked?.map((c) => [c.id, c.matched]), [['creative', true]]);
    assert.deepEqual(explanation.candidates.map((c) => [c.model, c.kept]), [['creative-writer', true]]);
    // The seed's troubleshooting call, body as written there.
    const plain = await post(gw, '/api/routing/test', { agentType: 'creative', requestType: 'completion' });
    assert.equal(plain.status, 200);
  });

  it('explains why a candidate was dropped', async () => {
    const res = await post(gw, '/api/routing/test', { model: 'old-model', prompt: 'x' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.failure, { code: 'SB_MODEL_INACTIVE', message: 'Model "old-model" is inactive and takes no traffic. PATCH /api/models/{id}/status makes it active again.' });
    const explanation = res.body.explanation as { candidates: Array<{ model: string; kept: boolean; step: string }> };
    assert.deepEqual(explanation.candidates.map((c) => [c.model, c.kept, c.step]), [['old-model', false, 'status']]);
  });

  it("exposes seed 002's metrics, with rule ids and registered models as labels and nothing a caller invents", async () => {
    await post(gw, '/v1/chat/completions', { model: 'general', messages: [{ role: 'user', content: 'hi' }] }, { 'x-switchboard-agent-type': 'creative' });
    await post(gw, '/v1/chat/completions', { model: 'general', messages: [{ role: 'user', content: 'hi' }] }, { 'x-switchboard-agent-type': 'made-up-agent-1234' });
    const text = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
    assert.match(text, /^model_router_requests_total\{model="mock-large",status="success",agent_type="creative"\} \d+/m);
    assert.match(text, /^model_router_requests_total\{model="mock",status="success",agent_type="other"\} \d+/m);
    assert.match(text, /^model_router_routing_rule_matches\{rule="creative"\} \d+/m);
    assert.match(text, /^model_router_request_duration_seconds_bucket\{le="0.01",model="mock-large"\}/m);
    assert.match(text, /^model_router_model_health_score\{model="general"\} 1$/m);
    assert.doesNotMatch(text, /made-up-agent/);
  });

  it('keeps /api/routing/test to admin keys and /api/route to any valid key', async () => {
    const wrong = await post(gw, '/api/route', { prompt: 'x' }, { authorization: 'Bearer sb_nope_nope' });
    assert.equal(wrong.status, 401);
    const test = await post(gw, '/api/routing/test', {}, { authorization: 'Bearer sb_nope_nope' });
    assert.equal(test.status, 401);
  });
});

describe("seed 002's configuration import", () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: {
        providers: [
          { name: 'openai', type: 'openai', apiKey: 'env:OPENAI_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9/v1' },
          { name: 'anthropic', type: 'anthropic', apiKey: 'env:ANTHROPIC_PROVIDER_KEY', baseUrl: 'http://127.0.0.1:9' },
        ],
      },
    });
  });
  after(() => gw.close());

  it('restores models, routing rules, agent preferences and workspace configs from the seed bodies, and export gives them back', async () => {
    // Each body copied from seed 002.
    const config = {
      models: [{
        name: 'GPT-4 Turbo', version: 'gpt-4-1106-preview', provider: 'openai', modelType: 'chat',
        capabilities: [{ type: 'text-generation', maxTokens: 4096 }], parameters: { temperature: 0.7, maxTokens: 4096 },
        status: 'active', tags: ['gpt-4', 'high-quality', 'reasoning'],
      }],
      routingRules: [{
        name: 'Creative Agent Claude Preference',
        condition: { agentType: ['creative'], requestType: ['completion', 'chat'], contentLength: { min: 100, max: 2000 } },
        targetModels: [{ modelId: 'claude-3-sonnet', weight: 0.7, fallbackOrder: 1 }, { modelId: 'gpt-4', weight: 0.3, fallbackOrder: 2 }],
        trafficSplit: { primary: 80, canary: 20 }, priority: 100, enabled: true,
      }],
      agentPreferences: {
        creative: {
          preferredModels: ['gpt-4', 'claude-3-sonnet'], fallbackModels: ['gpt-3.5-turbo'], requiredCapabilities: ['text-generation'],
          performanceRequirements: { maxLatency: 5000, minSuccessRate: 0.95, maxCostPerToken: 0.01 },
        },
      },
      workspaceConfigs: {
        'ws-marketing-001': {
          modelRestrictions: ['gpt-4', 'claude-3-sonnet'], budgetLimits: { daily: 100, weekly: 500, monthly: 2000 },
          qualityRequirements: { minSuccessRate: 0.95, maxLatency: 5000 }, complianceRequirements: ['gdpr', 'ccpa', 'hipaa'],
        },
      },
    };
    const imported = await post(gw, '/api/config/import', { config });
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    assert.equal(imported.body.applied, true);
    const exported = await (await fetch(`${gw.url}/api/config/export`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as { config: Record<string, any> };
    assert.equal(exported.config.models[0].id, 'gpt-4-turbo');
    assert.equal(exported.config.routingRules[0].id, 'creative-agent-claude-preference');
    assert.deepEqual(exported.config.workspaces['ws-marketing-001'].complianceRequirements, ['gdpr', 'ccpa', 'hipaa']);
    // A long enough creative prompt matches the seed's rule; the 80/20 split and 0.7/0.3 weights pick among its targets.
    const test = await post(gw, '/api/routing/test', { agentType: 'creative', requestType: 'completion', userId: 'user-1', prompt: 'x'.repeat(150) });
    assert.equal(test.body.ruleId, 'creative-agent-claude-preference');
    // The export imports back as it is: nothing changes.
    const again = await post(gw, '/api/config/import', { config: exported.config });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body.changes, []);
  });

  it('refuses an import whose rule names a model nothing serves, listing every problem', async () => {
    const res = await post(gw, '/api/config/import', {
      config: { routingRules: [{ name: 'bad', targetModels: [{ modelId: 'no-such-model', weight: 0 }], priority: -1 }] },
    });
    assert.equal(res.status, 400);
    const error = res.body.error as { code: string; issues: Array<{ path: string }> };
    assert.equal(error.code, 'SB_CONFIG_INVALID');
    const paths = error.issues.map((i) => i.path);
    assert.ok(paths.includes('routingRules.0.priority'), paths.join());
  });
});

describe('GET /v1/models and the registry', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  it('lists registered models by name and id, and leaves inactive ones out', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    for (const id of ['General', 'general', 'Creative Writer', 'creative-writer']) assert.ok(ids.includes(id), id);
    assert.ok(!ids.includes('old-model') && !ids.includes('Old Model'));
  });
});
