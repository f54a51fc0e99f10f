/**
 * What docs/errors.md promises about error answers on the wire: the dialect per route, the request id in body
 * and headers, retry-after, and SB_SHUTTING_DOWN while the gateway drains.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';

const JSON_HEADERS = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };

interface Answer { readonly status: number; readonly headers: Headers; readonly body: Record<string, any> }

describe('error answers', () => {
  let gw: TestGateway;

  before(async () => {
    gw = await startGateway();
  });
  after(() => gw.close());

  async function send(path: string, init: RequestInit = {}): Promise<Answer> {
    const res = await fetch(`${gw.url}${path}`, init);
    return { status: res.status, headers: res.headers, body: await res.json() as Record<string, any> };
  }

  const chat = (model: string, extra: Record<string, unknown> = {}): RequestInit => ({
    method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  const message = (model: string): RequestInit => ({
    method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
  });

  it('answers /v1/chat/completions in the OpenAI shape with x-request-id', async () => {
    const { status, headers, body } = await send('/v1/chat/completions', chat('no-such-model'));
    assert.equal(status, 404);
    assert.match(headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(headers.get('request-id'), null);
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(body.error.code, 'SB_MODEL_NOT_FOUND');
    assert.equal(body.error.type, 'not_found_error');
    assert.equal(body.error.param, 'model');
  });

  it('answers /v1/messages in the Anthropic shape with request_id and both id headers, even before auth', async () => {
    for (const init of [message('no-such-model'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }]) {
      const { headers, body } = await send('/v1/messages', init);
      const id = headers.get('x-request-id');
      assert.ok(id);
      assert.equal(headers.get('request-id'), id);
      assert.equal(body.type, 'error');
      assert.equal(body.request_id, id);
    }
  });

  it('gives the Anthropic SDK the request id of an error', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: ADMIN_KEY, maxRetries: 0 });
    await assert.rejects(client.messages.create({ model: 'no-such-model', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      (err: unknown) => err instanceof Anthropic.NotFoundError && typeof err.requestID === 'string' && err.requestID.length > 0);
  });

  it('answers other routes in the generic shape', async () => {
    const { status, headers, body } = await send('/api/keys/nope', { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(status, 404);
    assert.deepEqual(body, {
      error: { code: 'SB_KEY_NOT_FOUND', message: 'No API key has this id or prefix.', request_id: headers.get('x-request-id'), retryable: false, param: 'id' },
    });
  });

  it('keeps a caller\'s sane x-request-id and replaces one that is not', async () => {
    const kept = await send('/api/nothing', { headers: { 'x-request-id': 'trace-abc.123:xyz' } });
    assert.equal(kept.headers.get('x-request-id'), 'trace-abc.123:xyz');
    assert.equal(kept.body.error.request_id, 'trace-abc.123:xyz');
    const replaced = await send('/api/nothing', { headers: { 'x-request-id': 'has spaces and {braces}' } });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('passes a provider\'s status, code, type, retry-after and rate-limit headers on, SB_UPSTREAM_ERROR in a header', async () => {
    const { status, headers, body } = await send('/v1/chat/completions', chat('mock-error-429'));
    assert.equal(status, 429);
    assert.equal(headers.get('retry-after'), '1');
    assert.equal(headers.get('x-switchboard-error-code'), 'SB_UPSTREAM_ERROR');
    assert.match(headers.get('x-ratelimit-remaining-requests') ?? '', /^\d+$/);
    assert.equal(body.error.code, 'rate_limit_exceeded', 'the provider\'s own code, as the SDK would see it directly');
    assert.equal(body.error.type, 'requests', 'an OpenAI provider\'s type reaches an OpenAI caller as it is');
    assert.match(body.error.message, /^Provider "mock" answered 429: /);
    const generic = await send('/v1/messages', { ...message('mock-error-429') });
    assert.equal(generic.body.error.type, 'rate_limit_error', 'an Anthropic caller gets the Anthropic type for the status');
    assert.equal(generic.body.error.code, 'rate_limit_exceeded');
  });

  it('names the SB_* code of every error in x-switchboard-error-code', async () => {
    const { headers } = await send('/v1/chat/completions', chat('no-such-model'));
    assert.equal(headers.get('x-switchboard-error-code'), 'SB_MODEL_NOT_FOUND');
  });

  describe('while shutting down', () => {
    before(() => { gw.gateway.deps.lifecycle.shuttingDown = true; });
    after(() => { gw.gateway.deps.lifecycle.shuttingDown = false; });

    it('answers SB_SHUTTING_DOWN (503, retryable) in the caller\'s dialect', async () => {
      const openai = await send('/v1/chat/completions', chat('mock'));
      assert.equal(openai.status, 503);
      assert.equal(openai.body.error.code, 'SB_SHUTTING_DOWN');
      assert.equal(openai.body.error.type, 'server_error');
      const anthropic = await send('/v1/messages', message('mock'));
      assert.equal(anthropic.status, 503);
      assert.equal(anthropic.body.error.type, 'overloaded_error');
      const generic = await send('/api/keys', { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      assert.equal(generic.status, 503);
      assert.equal(generic.body.error.code, 'SB_SHUTTING_DOWN');
      assert.equal(generic.body.error.retryable, true);
      assert.equal(generic.headers.get('x-should-retry'), null, 'retryable, so the SDKs may retry elsewhere');
    });

    it('keeps the probes answering: /ready says not_ready, /health stays ok', async () => {
      const ready = await send('/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.status, 'not_ready');
      assert.equal(ready.body.shutting_down, true);
      assert.equal((await send('/health')).status, 200);
    });
  });
});
