// GET /v1/models and /v1/models/{id} list what is really routable: the catalogue, the providers' configured
// lists and the providers' own lists (fetched from recorded upstream answers, cached), filtered by the key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { ADMIN_KEY, startGateway, type TestGateway, TEST_SECRETS } from '../support/start-gateway.ts';

const OPENAI_KEY = TEST_SECRETS.OPENAI_PROVIDER_KEY;
const ANTHROPIC_KEY = TEST_SECRETS.ANTHROPIC_PROVIDER_KEY;
const admin = { authorization: `Bearer ${ADMIN_KEY}` };

async function get(gw: TestGateway, path: string, headers: Record<string, string> = admin): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}

const ids = (body: { data: Array<{ id: string }> }): string[] => body.data.map((m) => m.id);
const listCalls = (upstream: ReplayServer): string[] => upstream.requests.filter((r) => r.method === 'GET').map((r) => r.path);

describe('GET /v1/models with providers that list their models', () => {
  let openai: ReplayServer;
  let anthropic: ReplayServer;
  let gw: TestGateway;

  before(async () => {
    openai = await startReplayServer([{ method: 'GET', path: '/v1/models', fixture: 'openai/models.json' }]);
    anthropic = await startReplayServer([
      { method: 'GET', path: /^\/v1\/models\?limit=1000&after_id=claude-sonnet-4-20250514$/, fixture: 'anthropic/models-page-2.json' },
      { method: 'GET', path: '/v1/models?limit=1000', fixture: 'anthropic/models-page-1.json' },
    ]);
    gw = await startGateway({
      config: {
        providers: [
          { name: 'openai', type: 'openai', baseUrl: `${openai.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' },
          { name: 'anthropic', type: 'anthropic', baseUrl: anthropic.url, apiKey: 'env:ANTHROPIC_PROVIDER_KEY' },
          { name: 'mock', type: 'mock', models: ['mock', 'mock-large'] },
        ],
        models: [{ name: 'fast', provider: 'openai', model: 'gpt-4o-mini' }],
      },
    });
  });
  after(async () => { await gw.close(); await openai.close(); await anthropic.close(); });

  it('fetches nothing before a caller asks', () => {
    assert.deepEqual(listCalls(openai), []);
    assert.deepEqual(listCalls(anthropic), []);
  });

  it('lists the catalogue, then each provider\'s own list, by names that route there', async () => {
    const res = await get(gw, '/v1/models');
    assert.equal(res.status, 200);
    assert.deepEqual(ids(res.body), [
      'fast',
      'gpt-4o-mini', 'gpt-4o-mini-2024-07-18', 'gpt-4o', 'gpt-4.1', 'o4-mini', 'chatgpt-4o-latest', 'text-embedding-3-small',
      // No prefix sends these bare names to openai, so they are listed by the name that does.
      'openai/dall-e-3', 'openai/whisper-1', 'openai/omni-moderation-latest',
      // Both of Anthropic's pages.
      'claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805', 'claude-opus-4-20250514', 'claude-sonnet-4-20250514',
      'claude-3-7-sonnet-20250219', 'claude-3-5-haiku-20241022',
      'mock', 'mock-large', 'mock-slow',
    ]);
    const gpt41 = res.body.data.find((m: { id: string }) => m.id === 'gpt-4.1');
    assert.deepEqual(gpt41, { id: 'gpt-4.1', object: 'model', created: gpt41.created, owned_by: 'openai' });
  });

  it('asked each provider with its credentials, following Anthropic\'s pages', () => {
    const [oaiList] = openai.requests;
    assert.equal(oaiList?.path, '/v1/models');
    assert.equal(oaiList.headers.authorization, `Bearer ${OPENAI_KEY}`);
    assert.deepEqual(listCalls(anthropic), ['/v1/models?limit=1000', '/v1/models?limit=1000&after_id=claude-sonnet-4-20250514']);
    for (const r of anthropic.requests) {
      assert.equal(r.headers['x-api-key'], ANTHROPIC_KEY);
      assert.equal(r.headers['anthropic-version'], '2023-06-01');
    }
  });

  it('answers from the cache: one upstream fetch for many GETs', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(gw, '/v1/models')).status, 200);
    await get(gw, '/v1/models/gpt-4.1');
    assert.equal(listCalls(openai).length, 1);
    assert.equal(listCalls(anthropic).length, 2, 'the two pages of one fetch');
  });

  it('answers in Anthropic\'s shape when anthropic-version is sent', async () => {
    const res = await get(gw, '/v1/models', { 'x-api-key': ADMIN_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(res.body.has_more, false);
    assert.equal(res.body.first_id, 'fast');
    assert.ok(ids(res.body).includes('claude-3-5-haiku-20241022'));
    const one = await get(gw, '/v1/models/claude-3-5-haiku-20241022', { 'x-api-key': ADMIN_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(one.status, 200);
    assert.deepEqual([one.body.type, one.body.id], ['model', 'claude-3-5-haiku-20241022']);
    const missing = await get(gw, '/v1/models/claude-does-not-exist', { 'x-api-key': ADMIN_KEY, 'anthropic-version': '2023-06-01' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'SB_MODEL_NOT_FOUND');
  });

  it('retrieves listed models and "provider/model" of a listed model; 404s ids no provider lists', async () => {
    const oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    assert.equal((await oai.models.retrieve('gpt-4.1')).owned_by, 'openai');
    assert.equal((await oai.models.retrieve('openai/gpt-4.1')).owned_by, 'openai');
    assert.equal((await oai.models.retrieve('openai/dall-e-3')).owned_by, 'openai');
    assert.equal((await oai.models.retrieve('fast')).owned_by, 'openai');
    for (const id of ['gpt-does-not-exist', 'openai/gpt-does-not-exist', 'dall-e-3', 'claude-does-not-exist', 'nobody/gpt-4o']) {
      await assert.rejects(oai.models.retrieve(id), (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === 'SB_MODEL_NOT_FOUND', id);
    }
  });

  it('still routes a chat request by prefix to a model the provider does not list', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-does-not-exist', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(res.status, 404, 'the upstream\'s own 404 comes back');
    const sent = openai.requests.at(-1)!;
    assert.deepEqual([sent.method, sent.path, (JSON.parse(sent.body) as { model: string }).model], ['POST', '/v1/chat/completions', 'gpt-does-not-exist']);
  });

  it('filters by the key\'s models, by the name sent or the "provider/model" it reaches', async () => {
    const created = await fetch(`${gw.url}/api/keys`, {
      method: 'POST', headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'limited', models: ['gpt-4o-mini', 'openai/gpt-4.1', 'openai/dall-e-3', 'anthropic/claude-opus-4-20250514'] }),
    });
    const { key } = await created.json() as { key: string };
    const limited = { authorization: `Bearer ${key}` };
    // "fast" reaches openai/gpt-4o-mini, which this key names only by its bare id: not listed.
    assert.deepEqual(ids((await get(gw, '/v1/models', limited)).body), ['gpt-4o-mini', 'gpt-4.1', 'openai/dall-e-3', 'claude-opus-4-20250514']);
    assert.equal((await get(gw, '/v1/models/gpt-4.1', limited)).status, 200);
    assert.equal((await get(gw, '/v1/models/openai/gpt-4.1', limited)).status, 200);
    const hidden = await get(gw, '/v1/models/gpt-4o', limited);
    assert.equal(hidden.status, 404);
    assert.equal(hidden.body.error.code, 'SB_MODEL_NOT_FOUND');
  });
});

describe('GET /v1/models when a provider\'s list fails', () => {
  const CATALOGUE = [{ name: 'fast', provider: 'openai', model: 'gpt-4o-mini' }];

  it('answers with the rest within the bounded first wait when the list endpoint hangs, and shuts down promptly', async () => {
    const upstream = await startReplayServer([{ method: 'GET', path: '/v1/models', behaviour: 'hang' }]);
    const gw = await startGateway({ config: { providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' }], models: CATALOGUE } });
    try {
      const started = performance.now();
      const res = await get(gw, '/v1/models');
      const waited = performance.now() - started;
      assert.equal(res.status, 200);
      assert.deepEqual(ids(res.body), ['fast'], 'the catalogue only');
      assert.ok(waited >= 1_900 && waited < 3_500, `waited ${Math.round(waited)} ms`);
      const again = performance.now();
      assert.equal((await get(gw, '/v1/models/gpt-4o')).status, 404);
      assert.ok(performance.now() - again < 1_500, 'a fetch already waited for is not waited for again');
      assert.equal(listCalls(upstream).length, 1);
    } finally {
      const closing = performance.now();
      await gw.close();
      assert.ok(performance.now() - closing < 1_500, 'close() does not wait for the hung list');
      await upstream.close();
    }
  });

  it('answers at once with the catalogue when the list endpoint answers an error', async () => {
    const upstream = await startReplayServer([
      { method: 'GET', path: '/v1/models', fixture: 'openai/error-500.json' },
    ]);
    const gw = await startGateway({ config: { providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' }], models: CATALOGUE } });
    try {
      const started = performance.now();
      const res = await get(gw, '/v1/models');
      assert.ok(performance.now() - started < 1_500);
      assert.deepEqual(ids(res.body), ['fast'], 'the catalogue only');
      assert.equal((await get(gw, '/v1/models/gpt-4o-mini')).status, 404);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
