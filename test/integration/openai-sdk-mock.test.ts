// The official OpenAI SDK as a client of a running Switchboard, against the built-in mock provider.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';
import { usageFor } from '../support/usage-for.ts';

describe('OpenAI SDK → Switchboard → mock provider', () => {
  let gw: TestGateway;
  let client: OpenAI;

  before(async () => {
    gw = await startGateway();
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(() => gw.close());

  it('answers a chat completion with usage', async () => {
    const res = await client.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: 'Hello there' }] });
    assert.equal(res.object, 'chat.completion');
    assert.match(res.choices[0]!.message.content ?? '', /Hello there/);
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    assert.ok(res.usage!.prompt_tokens > 0 && res.usage!.completion_tokens > 0);
    assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens);
  });

  it('streams a chat completion and includes usage when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream me' }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.match(text, /stream me/);
    assert.equal(finish, 'stop');
    assert.ok(usage !== undefined && usage !== null && usage.completion_tokens > 0);
  });

  it('drops the usage chunk when the caller did not ask for it, yet records usage', async () => {
    const { data: stream, response } = await client.chat.completions.create({ model: 'mock', stream: true, messages: [{ role: 'user', content: 'no usage please' }] }).withResponse();
    const requestId = response.headers.get('x-request-id');
    let sawUsage = false;
    for await (const chunk of stream) if (chunk.usage) sawUsage = true;
    assert.equal(sawUsage, false);
    const records = await usageFor(gw, requestId!);
    const request = records.find((r) => r.kind === 'request');
    assert.ok(request, 'a request record exists');
    assert.equal(request.outcome, 'ok');
    assert.ok(request.outputTokens > 0, 'usage was recorded from the upstream usage chunk');
  });

  it('returns parallel tool calls, and streams their deltas', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } } },
    ];
    const res = await client.chat.completions.create({ model: 'mock', tools, messages: [{ role: 'user', content: 'weather and time?' }] });
    const calls = res.choices[0]!.message.tool_calls!;
    assert.equal(res.choices[0]!.finish_reason, 'tool_calls');
    assert.deepEqual(calls.map((c) => c.type === 'function' && c.function.name), ['get_weather', 'get_time']);
    for (const call of calls) assert.equal(typeof JSON.parse(call.type === 'function' ? call.function.arguments : '{}'), 'object');

    const stream = client.chat.completions.stream({ model: 'mock', tools, messages: [{ role: 'user', content: 'weather and time?' }] });
    const final = await stream.finalChatCompletion();
    assert.deepEqual(final.choices[0]!.message.tool_calls!.map((c) => c.type === 'function' && JSON.parse(c.function.arguments)), calls.map((c) => c.type === 'function' && JSON.parse(c.function.arguments)));
  });

  it('honours response_format json_schema', async () => {
    const res = await client.chat.completions.create({
      model: 'mock', messages: [{ role: 'user', content: 'a person' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema: { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] } } },
    });
    const parsed = JSON.parse(res.choices[0]!.message.content!) as { name: unknown; age: unknown };
    assert.equal(typeof parsed.name, 'string');
    assert.equal(Number.isInteger(parsed.age), true);
  });

  it('creates embeddings', async () => {
    const res = await client.embeddings.create({ model: 'mock', input: ['one', 'two'] });
    assert.equal(res.data.length, 2);
    assert.ok(res.data[0]!.embedding.length > 0);
  });

  it('lists models', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('mock'));
  });

  it('maps errors to the SDK error classes with SB_* codes', async () => {
    const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'sb_00000000_not-a-real-key-000000000000000000000000000', maxRetries: 0 });
    await assert.rejects(bad.chat.completions.create({ model: 'mock', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.AuthenticationError && err.code === 'SB_AUTH_INVALID_KEY');
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === 'SB_MODEL_NOT_FOUND' && err.param === 'model');
    await assert.rejects(client.chat.completions.create({ model: 'mock', messages: [] }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.code === 'SB_INVALID_REQUEST' && err.param === 'messages');
  });
});


describe('GET /v1/models/{id}', () => {
  let gw: TestGateway;
  before(async () => { gw = await startGateway(); });
  after(() => gw.close());

  it('retrieves a model by any name a caller may send, in both SDKs\' shapes', async () => {
    const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    const model = await openai.models.retrieve('mock');
    assert.deepEqual([model.id, model.object, model.owned_by], ['mock', 'model', 'mock']);
    assert.equal((await openai.models.retrieve('mock/mock-large')).owned_by, 'mock');
    await assert.rejects(openai.models.retrieve('no-such-model'), (err: unknown) => err instanceof OpenAI.NotFoundError && err.code === 'SB_MODEL_NOT_FOUND');
    const res = await fetch(`${gw.url}/v1/models/mock`, { headers: { 'x-api-key': ADMIN_KEY, 'anthropic-version': '2023-06-01' } });
    const body = await res.json() as { type: string; id: string };
    assert.deepEqual([body.type, body.id], ['model', 'mock']);
  });

  it('hides a model the key may not use', async () => {
    const created = await fetch(`${gw.url}/api/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 't', models: ['mock'] }) });
    const { key } = await created.json() as { key: string };
    const limited = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
    assert.equal((await limited.models.retrieve('mock')).id, 'mock');
    await assert.rejects(limited.models.retrieve('mock-large'), (err: unknown) => err instanceof OpenAI.NotFoundError);
  });
});
