/**
 * Proxy mode (seed 003's "Plano proxy"): a provider reached through an upstream gateway, here a second real
 * Switchboard process in front of a replayed OpenAI upstream. Streaming included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { startGateway, ADMIN_KEY, type TestGateway } from '../support/start-gateway.ts';
import { startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { testDataDir } from '../support/test-data-dir.ts';

const UPSTREAM_KEY = 'sb-upstream-admin-key-0123456789';
const PROVIDER_SECRET = 'sk-real-provider-key-abcdef';

describe('proxy mode through a second Switchboard', () => {
  let provider: ReplayServer;
  let upstream: GatewayProcess;
  let front: TestGateway;

  before(async () => {
    provider = await startReplayServer([
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.user === 'refuse-me', fixture: 'openai/error-401.json', status: 400 },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.stream === true, fixture: 'openai/chat-stream.sse' },
      { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' },
    ]);
    upstream = await startGatewayProcess({
      SWITCHBOARD_ADMIN_KEY: UPSTREAM_KEY, OPENAI_API_KEY: PROVIDER_SECRET, OPENAI_BASE_URL: `${provider.url}/v1`, SWITCHBOARD_DATA_DIR: testDataDir(),
    });
    front = await startGateway({
      env: { UPSTREAM_SB_KEY: UPSTREAM_KEY },
      config: {
        providers: [{ name: 'openai', type: 'openai', apiKey: 'env:OPENAI_PROVIDER_KEY', mode: 'proxy', proxy: { baseUrl: `${upstream.url}/v1`, apiKey: 'env:UPSTREAM_SB_KEY', timeoutMs: 5000 } }],
      },
    });
  });

  after(async () => {
    await front?.close();
    await upstream?.stop();
    await provider?.close();
  });

  const post = (path: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> => fetch(`${front.url}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body),
  });

  it('answers a chat completion from the provider behind the upstream gateway, with the gateway\'s key, never the provider\'s', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json() as { choices: Array<{ message: { content: string } }> };
    assert.ok(body.choices[0]?.message.content.length);
    assert.equal(res.headers.get('x-switchboard-target'), 'openai/gpt-4o-mini');
    const seen = provider.requests.at(-1);
    assert.equal(seen?.headers.authorization, `Bearer ${PROVIDER_SECRET}`, 'the upstream gateway used its own provider key');
    assert.ok(!JSON.stringify(provider.requests).includes('sk-provider-secret'), 'the front gateway\'s provider key never left it');
  });

  it('streams through both gateways', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await res.text();
    assert.match(text, /"delta"/);
    assert.match(text, /data: \[DONE\]\n\n$/);
  });

  it('translates an Anthropic-dialect caller on the way, streaming too', async () => {
    const res = await post('/v1/messages', { model: 'gpt-4o-mini', max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'Hello' }] }, { 'anthropic-version': '2023-06-01' });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /event: message_start/);
    assert.match(text, /event: message_stop/);
  });

  it('passes the upstream gateway\'s errors on in the caller\'s dialect', async () => {
    const res = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: 'not a list' });
    assert.equal(res.status, 400);
    const local = await res.json() as { error: { code: string } };
    assert.equal(local.error.code, 'SB_INVALID_REQUEST', 'refused by the front gateway before any call');
    const refused = await post('/v1/chat/completions', { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }], user: 'refuse-me' });
    assert.equal(refused.status, 400, 'the provider\'s 400 comes back through both gateways');
    assert.equal(refused.headers.get('x-switchboard-attempts'), '1', 'a 4xx is not retried');
    const body = await refused.json() as { error: { message: string; type: string } };
    assert.match(body.error.message, /answered 400/);
  });
});
