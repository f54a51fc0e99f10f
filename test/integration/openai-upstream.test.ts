// Switchboard in front of an OpenAI-format upstream that replays recorded wire traffic: pass-through for
// OpenAI callers, translation for Anthropic callers, and every upstream failure mode.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { FIXTURES_DIR, startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { ADMIN_KEY, startGateway, type TestGateway, TEST_SECRETS, SINGLE_ATTEMPT } from '../support/start-gateway.ts';
import { usageFor } from '../support/usage-for.ts';

const PROVIDER_KEY = TEST_SECRETS.OPENAI_PROVIDER_KEY;
const fixtureBody = (name: string): unknown => (JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as { body: unknown }).body;
const chat = (b: Record<string, unknown>): boolean => b.stream !== true;
const streamed = (b: Record<string, unknown>): boolean => b.stream === true;

describe('OpenAI-format upstream (recorded traffic)', () => {
  let upstream: ReplayServer;
  let gw: TestGateway;
  let oai: OpenAI;
  let ant: Anthropic;

  before(async () => {
    upstream = await startReplayServer([
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-429', fixture: 'openai/error-429.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-500', fixture: 'openai/error-500.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-401', fixture: 'openai/error-401.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-hang', behaviour: 'hang' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-reset', behaviour: 'reset' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-garbage', behaviour: 'garbage' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-cut', behaviour: 'reset-mid-stream', fixture: 'openai/chat-stream.sse', eventsBeforeReset: 3 },

      { method: 'POST', path: '/v1/chat/completions', when: (b) => chat(b) && b.tools === undefined, fixture: 'openai/chat-basic.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => chat(b) && b.tools !== undefined, fixture: 'openai/chat-tools-parallel.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => streamed(b) && b.tools === undefined, fixture: 'openai/chat-stream.sse' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => streamed(b) && b.tools !== undefined, fixture: 'openai/chat-stream-tools-parallel.sse' },
      { method: 'POST', path: '/v1/embeddings', fixture: 'openai/embeddings.json' },    ]);
    gw = await startGateway({
      config: { providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', timeoutMs: 400 }], resilience: SINGLE_ATTEMPT },
    });
    oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    ant = new Anthropic({ baseURL: gw.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  afterEach(() => { upstream.requests.length = 0; });
  after(async () => { await gw.close(); await upstream.close(); });

  it('passes an OpenAI caller\'s body and the answer through as bytes, with the provider\'s credential', async () => {
    const body = '{"model":"gpt-4o-mini",  "messages":[{"role":"user","content":"Hello!"}]}';
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(await res.text()), fixtureBody('openai/chat-basic.json'));
    const sent = upstream.requests[0]!;
    assert.equal(sent.body, body, 'the caller\'s bytes went upstream untouched');
    assert.equal(sent.headers.authorization, `Bearer ${PROVIDER_KEY}`);
    assert.equal(sent.path, '/v1/chat/completions');
  });

  it('strips a "provider/" prefix and sends the bare model upstream', async () => {
    await oai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal((JSON.parse(upstream.requests[0]!.body) as { model: string }).model, 'gpt-4o-mini');
  });

  it('streams the recorded events to an OpenAI caller unchanged and records the usage', async () => {
    const { data, response } = await oai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of data) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.ok(text.length > 0);
    assert.ok(usage);
    const records = await usageFor(gw, response.headers.get('x-request-id')!);
    const req = records.find((r) => r.kind === 'request')!;
    assert.equal(req.outputTokens, usage.completion_tokens);
    assert.equal(req.inputTokens + ((usage.prompt_tokens_details?.cached_tokens) ?? 0), usage.prompt_tokens);
  });

  it('assembles interleaved parallel tool-call deltas', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } }];
    const final = await oai.chat.completions.stream({ model: 'gpt-4o', tools, messages: [{ role: 'user', content: 'Weather and time?' }] }).finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    assert.equal(calls.length, 2);
    for (const c of calls) assert.equal(typeof JSON.parse(c.type === 'function' ? c.function.arguments : ''), 'object');
  });

  it('serves embeddings', async () => {
    const res = await oai.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8, encoding_format: 'float' });
    assert.equal(res.data.length, 2);
    assert.equal(res.data[0]!.embedding.length, 8);
  });

  it('translates for an Anthropic caller: message, tools and stream', async () => {
    const msg = await ant.messages.create({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.content[0]?.type === 'text' && msg.content[0].text, 'Hello! How can I assist you today?');
    const sent = JSON.parse(upstream.requests[0]!.body) as Record<string, unknown>;
    assert.equal(sent.max_completion_tokens, 100);
    assert.equal(upstream.requests[0]!.headers['x-api-key'], undefined, 'the caller\'s key never goes upstream');

    const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: { type: 'object' } }, { name: 'get_time', input_schema: { type: 'object' } }];
    const withTools = await ant.messages.create({ model: 'gpt-4o', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather and time?' }] });
    assert.equal(withTools.stop_reason, 'tool_use');
    assert.equal(withTools.content.filter((b) => b.type === 'tool_use').length, 2);

    const final = await ant.messages.stream({ model: 'gpt-4o', max_tokens: 100, tools, messages: [{ role: 'user', content: 'Weather and time?' }] }).finalMessage();
    const uses = final.content.filter((b) => b.type === 'tool_use');
    assert.equal(uses.length, 2);
    for (const u of uses) assert.equal(typeof u.input, 'object');
    assert.ok(final.usage.output_tokens > 0);
    assert.equal((JSON.parse(upstream.requests.at(-1)!.body) as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage, true);
  });

  it('keeps an upstream 429 a 429 with retry-after, in both dialects', async () => {
    await assert.rejects(oai.chat.completions.create({ model: 'gpt-429', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.RateLimitError && err.code === 'rate_limit_exceeded' && /Rate limit reached/.test(err.message)
        && err.headers?.get('retry-after') !== null && err.headers?.get('x-switchboard-error-code') === 'SB_UPSTREAM_ERROR');
    await assert.rejects(ant.messages.create({ model: 'gpt-429', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.RateLimitError);
    await assert.rejects(oai.chat.completions.create({ model: 'gpt-500', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.InternalServerError);
  });

  it('forwards the provider\'s rate-limit headers and request id, and nothing else of its headers', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] }) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-remaining-requests'), '9999');
    assert.equal(res.headers.get('openai-processing-ms'), '412');
    assert.equal(res.headers.get('x-upstream-request-id'), 'req_4f0e2b7c9a1d43e58b6f2c0d9e7a1b35');
    assert.notEqual(res.headers.get('x-request-id'), 'req_4f0e2b7c9a1d43e58b6f2c0d9e7a1b35', 'our own request id stays ours');
    for (const hidden of ['openai-organization', 'openai-project', 'cf-ray', 'server', 'set-cookie']) assert.equal(res.headers.get(hidden), null, hidden);
    const { response } = await oai.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
    assert.ok(response.headers.get('x-ratelimit-limit-requests') !== null, 'streams carry them too');
  });

  it('reports a provider that refuses the gateway\'s credential as a 502 for the operator, not the caller\'s 401', async () => {
    await assert.rejects(oai.chat.completions.create({ model: 'gpt-401', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.InternalServerError && err.status === 502 && /gateway's credential/.test(err.message)
        && err.headers?.get('x-switchboard-error-code') === 'SB_UPSTREAM_AUTH_FAILED' && !(err instanceof OpenAI.AuthenticationError));
  });

  it('turns a hung, reset or garbage upstream into a clear gateway error and keeps serving', async () => {
    const cases: Array<[string, number, string]> = [['gpt-hang', 504, 'SB_UPSTREAM_TIMEOUT'], ['gpt-reset', 502, 'SB_UPSTREAM_UNREACHABLE'], ['gpt-garbage', 502, 'SB_UPSTREAM_BAD_RESPONSE']];
    for (const [model, status, code] of cases) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
      assert.equal(res.status, status, model);
      const body = await res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, code);
      assert.doesNotMatch(JSON.stringify(body), /sk-provider|at \w+ \(/, 'no secret or stack trace');
      const records = await usageFor(gw, res.headers.get('x-request-id')!);
      assert.deepEqual(records.map((r) => [r.kind, r.outcome, r.errorCode]).sort(), [['attempt', 'error', code], ['request', 'error', code]]);
    }
    const ok = await oai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(ok.choices[0]!.finish_reason, 'stop');
  });

  it('ends a stream cut by the upstream with an error event the SDK raises, and records the failure', async () => {
    const { data, response } = await oai.chat.completions.create({ model: 'gpt-cut', stream: true, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    await assert.rejects((async () => { for await (const _ of data) { /* drain */ } })(), (err: unknown) => err instanceof OpenAI.APIError);
    const records = await usageFor(gw, response.headers.get('x-request-id')!);
    assert.equal(records.find((r) => r.kind === 'request')?.outcome, 'error');
  });
});

describe('request deadline', () => {
  it('answers 504 SB_UPSTREAM_TIMEOUT when server.requestTimeoutMs passes before the provider answers', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'hang' }]);
    const gw = await startGateway({ config: { server: { host: '127.0.0.1', port: 0, metricsPort: 0, requestTimeoutMs: 300 }, providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' }] } });
    try {
      for (const stream of [false, true]) {
        const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'x' }] }) });
        assert.equal(res.status, 504, `stream: ${stream}`);
        const body = await res.json() as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'SB_UPSTREAM_TIMEOUT');
        assert.match(body.error.message, /server\.requestTimeoutMs/);
        const records = await usageFor(gw, res.headers.get('x-request-id')!);
        assert.deepEqual(records.map((r) => [r.kind, r.outcome, r.errorCode]).sort(), [['attempt', 'error', 'SB_UPSTREAM_TIMEOUT'], ['request', 'error', 'SB_UPSTREAM_TIMEOUT']]);
      }
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('dead upstream', () => {
  it('answers SB_UPSTREAM_UNREACHABLE when nothing listens', async () => {
    const gw = await startGateway({ config: { providers: [{ name: 'openai', type: 'openai', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'env:OPENAI_PROVIDER_KEY' }] } });
    try {
      const oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
      await assert.rejects(oai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
        (err: unknown) => err instanceof OpenAI.APIError && err.status === 502 && err.code === 'SB_UPSTREAM_UNREACHABLE');
    } finally {
      await gw.close();
    }
  });
});

describe('an OpenAI-compatible vendor row (e.g. Groq) with a catalogue alias', () => {
  it('resolves the alias, the vendor\'s listed model and provider/model, and uses the key from apiKeyEnv', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: '/openai/v1/chat/completions', fixture: 'openai/chat-basic.json' }]);
    const gw = await startGateway({
      env: { GROQ_API_KEY: 'gsk-vendor-secret' },
      config: {
        providers: [{ name: 'groq', type: 'openai-compatible', baseUrl: `${upstream.url}/openai/v1`, apiKeyEnv: 'GROQ_API_KEY', models: ['llama-3.3-70b-versatile'] }],
        models: [{ name: 'fast', provider: 'groq', model: 'llama-3.3-70b-versatile', pricing: { inputPerMTok: 0.59, outputPerMTok: 0.79 } }],
      },
    });
    try {
      const oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
      for (const model of ['fast', 'llama-3.3-70b-versatile', 'groq/llama-3.3-70b-versatile']) {
        const { data, response } = await oai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello!' }] }).withResponse();
        assert.equal(data.choices[0]!.finish_reason, 'stop');
        const sent = upstream.requests.at(-1)!;
        assert.equal((JSON.parse(sent.body) as { model: string }).model, 'llama-3.3-70b-versatile', model);
        assert.equal(sent.headers.authorization, 'Bearer gsk-vendor-secret');
        const request = (await usageFor(gw, response.headers.get('x-request-id')!)).find((r) => r.kind === 'request')!;
        assert.equal(request.provider, 'groq');
      }
      const models = [];
      for await (const m of oai.models.list()) models.push(m.id);
      assert.ok(models.includes('fast') && models.includes('llama-3.3-70b-versatile'));
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});

describe('an upstream that stalls mid-stream', () => {
  it('ends the stream with an SB_UPSTREAM_TIMEOUT error event after providers[].idleTimeoutMs', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-stream.sse', chunkDelayMs: 2000 }]);
    const gw = await startGateway({ config: { providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', idleTimeoutMs: 300 }] } });
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] }) });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /"code":"SB_UPSTREAM_TIMEOUT"/);
      assert.doesNotMatch(text, /\[DONE\]/);
      const records = await usageFor(gw, res.headers.get('x-request-id')!);
      assert.equal(records.find((r) => r.kind === 'request')?.errorCode, 'SB_UPSTREAM_TIMEOUT');
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
