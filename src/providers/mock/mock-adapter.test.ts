import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { z } from 'zod';
import { countTokens } from '../formats/token-counter.ts';
import type { ProviderAdapter, UpstreamRequest, UpstreamResponse } from '../provider-adapter.ts';
import { createMockAdapter } from './mock-adapter.ts';

const mock = createMockAdapter({ name: 'mock' });

function upstream(body: unknown, overrides: Partial<UpstreamRequest> = {}): UpstreamRequest {
  const json = typeof body === 'string' ? body : JSON.stringify(body);
  const parsed = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return {
    operation: 'chat',
    model: typeof parsed.model === 'string' ? parsed.model : 'mock-1',
    body: json,
    stream: parsed.stream === true,
    headers: {},
    signal: new AbortController().signal,
    ...overrides,
  };
}

async function text(res: UpstreamResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

async function send(body: unknown, overrides: Partial<UpstreamRequest> = {}, adapter: ProviderAdapter = mock): Promise<{ res: UpstreamResponse; json: any }> {
  const res = await adapter.send(upstream(body, overrides));
  return { res, json: JSON.parse(await text(res)) };
}

/** The `data:` payloads of an SSE body, in order. */
function sseData(raw: string): string[] {
  return raw.split('\n\n').filter((e) => e !== '').map((e) => {
    assert.match(e, /^data: /, `malformed event: ${e}`);
    return e.slice('data: '.length);
  });
}

async function stream(body: Record<string, unknown>): Promise<{ res: UpstreamResponse; chunks: any[]; done: boolean }> {
  const res = await mock.send(upstream({ ...body, stream: true }));
  const data = sseData(await text(res));
  return { res, chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d)), done: data.at(-1) === '[DONE]' };
}

function chat(messages: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'mock-1', messages, ...extra };
}

const hello = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello there, mock!' }];

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
      required: ['city', 'unit', 'days'],
      additionalProperties: false,
    },
  },
};
const timeTool = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] } } };
const noArgsTool = { type: 'function', function: { name: 'ping' } };
const searchTool = { type: 'function', function: { name: 'search', parameters: { type: 'object', properties: { q: { type: 'string' }, filters: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' } }, required: ['field'] } } }, required: ['q', 'filters'] } } };

/** A client talking to the mock through the official SDK, as a first-time user would through the gateway. */
function sdkClient(adapter: ProviderAdapter = mock): OpenAI {
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(url)).pathname;
    const body = String(init?.body ?? '');
    const parsed = JSON.parse(body) as { model: string; stream?: boolean };
    const res = await adapter.send({
      operation: path.endsWith('/embeddings') ? 'embeddings' : 'chat', model: parsed.model, body, stream: parsed.stream === true,
      headers: {}, signal: init?.signal ?? new AbortController().signal,
    });
    const headers = new Headers();
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
    return new Response(Readable.toWeb(res.body as Readable) as ReadableStream, { status: res.status, headers });
  };
  return new OpenAI({ apiKey: 'sk-mock', baseURL: 'http://mock.invalid/v1', fetch, maxRetries: 0 });
}

describe('createMockAdapter', () => {
  it('is an OpenAI-format provider for chat and embeddings', async () => {
    const adapter = createMockAdapter({ name: 'offline', latencyMs: 5 });
    assert.equal(adapter.name, 'offline');
    assert.equal(adapter.kind, 'mock');
    assert.equal(adapter.format, 'openai');
    assert.deepEqual([...adapter.operations].sort(), ['chat', 'embeddings']);
    await adapter.close();
  });

  it('lists its built-in models, even for an aborted signal', async () => {
    assert.deepEqual(await mock.listModels(new AbortController().signal), ['mock', 'mock-large', 'mock-slow']);
    assert.deepEqual(await mock.listModels(AbortSignal.abort()), ['mock', 'mock-large', 'mock-slow']);
  });

  it('refuses a negative or non-finite latency at construction', () => {
    assert.throws(() => createMockAdapter({ name: 'm', latencyMs: -1 }), RangeError);
    assert.throws(() => createMockAdapter({ name: 'm', latencyMs: Number.NaN }), RangeError);
  });
});

describe('mock chat completions', () => {
  it('answers the last user message with a chat.completion and real token usage', async () => {
    const { res, json } = await send(chat(hello));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.match(String(res.headers['x-request-id']), /^req_[0-9a-f]{32}$/);
    assert.match(String(res.headers['openai-processing-ms']), /^\d+$/);
    assert.match(json.id, /^chatcmpl-mock-[A-Za-z0-9]+$/);
    assert.equal(json.object, 'chat.completion');
    assert.ok(Math.abs(json.created - Date.now() / 1000) < 5);
    assert.equal(json.model, 'mock-1');
    assert.equal(json.system_fingerprint, 'fp_mock');
    assert.equal(json.choices.length, 1);
    const [choice] = json.choices;
    assert.equal(choice.index, 0);
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(choice.message, { role: 'assistant', content: 'Mock reply to: "Hello there, mock!"', refusal: null, annotations: [] });
    const prompt = countTokens('Be brief.') + countTokens('Hello there, mock!');
    const completion = countTokens(choice.message.content);
    assert.equal(json.usage.prompt_tokens, prompt);
    assert.equal(json.usage.completion_tokens, completion);
    assert.equal(json.usage.total_tokens, prompt + completion);
    assert.deepEqual(json.usage.prompt_tokens_details, { cached_tokens: 0, audio_tokens: 0 });
  });

  it('echoes the request model and gives each response its own id', async () => {
    const a = await send(chat(hello, { model: 'gpt-4o-mini' }));
    const b = await send(chat(hello, { model: 'gpt-4o-mini' }));
    assert.equal(a.json.model, 'gpt-4o-mini');
    assert.notEqual(a.json.id, b.json.id);
    assert.equal(a.json.choices[0].message.content, b.json.choices[0].message.content, 'content is deterministic');
  });

  it('quotes at most 200 characters of the user text', async () => {
    const long = 'x'.repeat(500);
    const { json } = await send(chat([{ role: 'user', content: long }]));
    assert.equal(json.choices[0].message.content, `Mock reply to: "${'x'.repeat(200)}…"`);
  });

  it('reads text parts and counts image parts', async () => {
    const { json } = await send(chat([{
      role: 'user',
      content: [
        { type: 'text', text: 'What is in' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'text', text: 'these pictures?' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'low' } },
      ],
    }]));
    assert.equal(json.choices[0].message.content, 'Mock reply to: "What is in\nthese pictures?" (with 2 images)');
    assert.equal(json.usage.prompt_tokens, countTokens('What is in\nthese pictures?'));
  });

  it('mentions a single image in the singular', async () => {
    const { json } = await send(chat([{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }]));
    assert.equal(json.choices[0].message.content, 'Mock reply to: "" (with 1 image)');
  });

  it('truncates to max_tokens and finishes with "length"', async () => {
    const question = 'please tell me a very long story about the sea and the ships that sail upon it';
    const full = (await send(chat([{ role: 'user', content: question }]))).json.choices[0].message.content;
    for (const key of ['max_tokens', 'max_completion_tokens']) {
      const { json } = await send(chat([{ role: 'user', content: question }], { [key]: 5 }));
      const [choice] = json.choices;
      assert.equal(choice.finish_reason, 'length', key);
      assert.ok(full.startsWith(choice.message.content), key);
      assert.ok(choice.message.content.length < full.length, key);
      assert.ok(json.usage.completion_tokens <= 5, `${key}: ${json.usage.completion_tokens}`);
      assert.equal(json.usage.completion_tokens, countTokens(choice.message.content));
    }
  });

  it('leaves a reply that fits max_tokens whole', async () => {
    const { json } = await send(chat(hello, { max_tokens: 1000 }));
    assert.equal(json.choices[0].finish_reason, 'stop');
    assert.equal(json.choices[0].message.content, 'Mock reply to: "Hello there, mock!"');
  });

  it('cuts the reply at the earliest stop sequence', async () => {
    const { json } = await send(chat(hello, { stop: ['mock', 'there'] }));
    assert.equal(json.choices[0].message.content, 'Mock reply to: "Hello ');
    assert.equal(json.choices[0].finish_reason, 'stop');
    const single = await send(chat(hello, { stop: '!' }));
    assert.equal(single.json.choices[0].message.content, 'Mock reply to: "Hello there, mock');
  });

  it('returns n slightly different choices and bills all of them', async () => {
    const { json } = await send(chat(hello, { n: 3 }));
    assert.deepEqual(json.choices.map((c: any) => c.index), [0, 1, 2]);
    const contents = json.choices.map((c: any) => c.message.content);
    assert.equal(new Set(contents).size, 3);
    assert.equal(contents[0], 'Mock reply to: "Hello there, mock!"');
    assert.equal(json.usage.completion_tokens, contents.reduce((s: number, c: string) => s + countTokens(c), 0));
  });

  it('synthesizes a JSON document that satisfies a json_schema response format', async () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string' },
        rating: { type: 'integer', minimum: 1, maximum: 5 },
        genre: { type: 'string', enum: ['drama', 'comedy'] },
        cast: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, lead: { type: 'boolean' } }, required: ['name', 'lead'], additionalProperties: false } },
        studio: { type: 'object', properties: { name: { type: 'string' }, founded: { type: ['integer', 'null'] } }, required: ['name', 'founded'], additionalProperties: false },
      },
      required: ['title', 'rating', 'genre', 'cast', 'studio'],
      additionalProperties: false,
    };
    const { json } = await send(chat(hello, { response_format: { type: 'json_schema', json_schema: { name: 'movie', strict: true, schema } } }));
    const content = JSON.parse(json.choices[0].message.content);
    assert.ok(z.fromJSONSchema(schema as never).safeParse(content).success, JSON.stringify(content));
    assert.equal(content.genre, 'drama');
    assert.equal(json.choices[0].finish_reason, 'stop');
  });

  it('answers json_object with a JSON object', async () => {
    const { json } = await send(chat(hello, { response_format: { type: 'json_object' } }));
    const content = JSON.parse(json.choices[0].message.content);
    assert.equal(typeof content, 'object');
    assert.equal(content.reply, 'Mock reply to: "Hello there, mock!"');
  });

  it('answers with text after tool results, naming each tool', async () => {
    const messages = [
      { role: 'user', content: 'Weather and time in Paris?' },
      { role: 'assistant', content: null, tool_calls: [
        { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' } },
      ] },
      { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
      { role: 'tool', tool_call_id: 'call_b', content: [{ type: 'text', text: '14:05' }] },
    ];
    const { json } = await send(chat(messages, { tools: [weatherTool, timeTool] }));
    const [choice] = json.choices;
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.message.content, 'Mock answer using the tool results: get_weather returned {"temp":21}; get_time returned 14:05.');
    assert.equal(choice.message.tool_calls, undefined);
    const expectedPrompt = ['Weather and time in Paris?', 'get_weather', '{"city":"Paris"}', 'get_time', '{"zone":"Europe/Paris"}', '{"temp":21}', '14:05']
      .reduce((s, t) => s + countTokens(t), 0);
    assert.equal(json.usage.prompt_tokens, expectedPrompt);
  });
});

describe('mock tool calls', () => {
  const ask = [{ role: 'user', content: 'Plan my trip to Paris' }];

  it('calls every tool in parallel (up to 3) with arguments valid for each schema', async () => {
    const { json } = await send(chat(ask, { tools: [weatherTool, timeTool, searchTool, noArgsTool] }));
    const [choice] = json.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const calls = choice.message.tool_calls;
    assert.deepEqual(calls.map((c: any) => c.function.name), ['get_weather', 'get_time', 'search']);
    for (const [i, call] of calls.entries()) {
      assert.match(call.id, /^call_mock_[A-Za-z0-9]+$/);
      assert.equal(call.type, 'function');
      const tool = [weatherTool, timeTool, searchTool][i]!;
      const args = JSON.parse(call.function.arguments);
      assert.ok(z.fromJSONSchema(tool.function.parameters as never).safeParse(args).success, call.function.arguments);
    }
    assert.equal(new Set(calls.map((c: any) => c.id)).size, 3);
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { city: 'mock city', unit: 'celsius', days: 1 });
    const expected = calls.reduce((s: number, c: any) => s + countTokens(c.function.name) + countTokens(c.function.arguments), 0);
    assert.equal(json.usage.completion_tokens, expected);
  });

  it('makes one call when parallel_tool_calls is false', async () => {
    const { json } = await send(chat(ask, { tools: [weatherTool, timeTool], parallel_tool_calls: false }));
    assert.deepEqual(json.choices[0].message.tool_calls.map((c: any) => c.function.name), ['get_weather']);
  });

  it('calls exactly the forced function', async () => {
    const { json } = await send(chat(ask, { tools: [weatherTool, timeTool], tool_choice: { type: 'function', function: { name: 'get_time' } } }));
    const calls = json.choices[0].message.tool_calls;
    assert.equal(calls.length, 1);
    assert.equal(calls[0].function.name, 'get_time');
    assert.deepEqual(JSON.parse(calls[0].function.arguments), { zone: 'mock zone' });
  });

  it('gives "{}" arguments to a tool without parameters', async () => {
    const { json } = await send(chat(ask, { tools: [noArgsTool], tool_choice: 'required' }));
    assert.equal(json.choices[0].message.tool_calls[0].function.arguments, '{}');
  });

  it('honours allowed_tools', async () => {
    const choice = { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get_time' } }] } };
    const { json } = await send(chat(ask, { tools: [weatherTool, timeTool], tool_choice: choice }));
    assert.deepEqual(json.choices[0].message.tool_calls.map((c: any) => c.function.name), ['get_time']);
  });

  it('answers in text when tool_choice is "none" or the last message is not from the user', async () => {
    const none = await send(chat(ask, { tools: [weatherTool], tool_choice: 'none' }));
    assert.equal(none.json.choices[0].finish_reason, 'stop');
    assert.equal(none.json.choices[0].message.content, 'Mock reply to: "Plan my trip to Paris"');
    const prefill = await send(chat([...ask, { role: 'assistant', content: 'Sure' }], { tools: [weatherTool] }));
    assert.equal(prefill.json.choices[0].finish_reason, 'stop');
  });

  it('ignores custom (non-function) tools', async () => {
    const { json } = await send(chat(ask, { tools: [{ type: 'custom', custom: { name: 'grammar' } }] }));
    assert.equal(json.choices[0].finish_reason, 'stop');
  });

  it('rejects a forced function that is not among the tools', async () => {
    const { res, json } = await send(chat(ask, { tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'nope' } } }));
    assert.equal(res.status, 400);
    assert.equal(json.error.param, 'tool_choice');
    assert.equal(json.error.type, 'invalid_request_error');
  });
});

describe('mock streaming', () => {
  it('streams a role chunk, word chunks, a finish chunk and [DONE], without usage by default', async () => {
    const { res, chunks, done } = await stream(chat(hello));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.ok(done);
    assert.ok(chunks.length >= 6, `only ${chunks.length} chunks`);
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
    assert.equal(new Set(chunks.map((c) => c.created)).size, 1);
    for (const chunk of chunks) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      assert.equal(chunk.model, 'mock-1');
      assert.equal('usage' in chunk, false);
    }
    assert.deepEqual(chunks[0].choices[0], { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null });
    const words = chunks.slice(1, -1).map((c) => c.choices[0].delta.content);
    assert.ok(words.length >= 3);
    assert.equal(words.join(''), 'Mock reply to: "Hello there, mock!"');
    assert.deepEqual(chunks.at(-1).choices[0], { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' });
  });

  it('adds a usage chunk with choices: [] when stream_options.include_usage is true', async () => {
    const { json } = await send(chat(hello));
    const { chunks } = await stream(chat(hello, { stream_options: { include_usage: true } }));
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, json.usage);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.usage, null);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
  });

  it('streams tool calls as a start chunk then at least two argument fragments each', async () => {
    const { chunks } = await stream(chat([{ role: 'user', content: 'go' }], { tools: [weatherTool, noArgsTool] }));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks[0].choices[0].delta.content, null);
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    const calls = new Map<number, { id?: string; name?: string; args: string; pieces: number }>();
    for (const d of deltas) {
      if (d.id !== undefined) {
        assert.ok(!calls.has(d.index), 'one start chunk per call');
        assert.equal(d.type, 'function');
        assert.equal(d.function.arguments, '');
        calls.set(d.index, { id: d.id, name: d.function.name, args: '', pieces: 0 });
      } else {
        const call = calls.get(d.index)!;
        call.args += d.function.arguments;
        call.pieces++;
        assert.deepEqual(Object.keys(d).sort(), ['function', 'index']);
      }
    }
    assert.deepEqual([...calls.keys()], [0, 1]);
    assert.equal(calls.get(0)!.name, 'get_weather');
    assert.equal(calls.get(1)!.name, 'ping');
    for (const call of calls.values()) {
      assert.match(call.id!, /^call_mock_/);
      assert.ok(call.pieces >= 2, `${call.name} in ${call.pieces} pieces`);
      JSON.parse(call.args);
    }
    assert.equal(calls.get(1)!.args, '{}');
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'tool_calls');
  });

  it('streams n choices, each with its own index and finish chunk', async () => {
    const { chunks } = await stream(chat(hello, { n: 2 }));
    const byIndex = [0, 1].map((i) => chunks.filter((c) => c.choices[0].index === i));
    for (const [i, list] of byIndex.entries()) {
      assert.equal(list[0].choices[0].delta.role, 'assistant');
      assert.equal(list.at(-1).choices[0].finish_reason, 'stop');
      const content = list.map((c) => c.choices[0].delta.content ?? '').join('');
      assert.equal(content, i === 0 ? 'Mock reply to: "Hello there, mock!"' : 'Mock reply to: "Hello there, mock!" (variant 2)');
    }
  });

  it('streams a max_tokens cut with finish "length"', async () => {
    const { chunks } = await stream(chat([{ role: 'user', content: 'one two three four five six seven eight nine ten' }], { max_tokens: 3 }));
    assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
    const content = chunks.map((c) => c.choices[0].delta.content ?? '').join('');
    assert.ok(countTokens(content) <= 3);
  });

  it('waits latencyMs between chunks', async () => {
    const slow = createMockAdapter({ name: 'slow', latencyMs: 15 });
    const started = performance.now();
    const res = await slow.send(upstream(chat(hello, { stream: true })));
    const events = sseData(await text(res)).length;
    assert.ok(performance.now() - started >= events * 14 - 5, `${events} events in ${performance.now() - started} ms`);
  });

  it('stops promptly and errors the body with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    const res = await mock.send(upstream(chat(hello, { model: 'mock-slow', stream: true }), { signal: controller.signal }));
    const body = res.body as Readable;
    const reader = body[Symbol.asyncIterator]();
    const first = await reader.next();
    assert.match(Buffer.from(first.value).toString(), /"role":"assistant"/);
    const reason = new Error('client went away');
    const abortedAt = performance.now();
    controller.abort(reason);
    await assert.rejects(reader.next(), (err) => err === reason);
    assert.ok(performance.now() - abortedAt < 90, 'did not wait for the next 100 ms chunk');
    assert.ok(body.destroyed);
  });

  it('destroys an unread stream as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const res = await mock.send(upstream(chat(hello, { model: 'mock-slow', stream: true }), { signal: controller.signal }));
    const errored = once(res.body as Readable, 'error');
    controller.abort();
    const [err] = await errored;
    assert.equal((err as Error).name, 'AbortError');
    assert.ok((res.body as Readable).destroyed);
  });
});

describe('mock special models', () => {
  it('mock-error-429 answers 429 rate_limit_exceeded with retry-after', async () => {
    const { res, json } = await send(chat(hello, { model: 'mock-error-429' }));
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(res.headers['x-ratelimit-remaining-requests'], '0');
    assert.match(String(res.headers['x-request-id']), /^req_/);
    assert.equal(json.error.code, 'rate_limit_exceeded');
    assert.equal(json.error.param, null);
    assert.match(json.error.message, /^Rate limit reached for mock-error-429/);
  });

  it('mock-error-500 answers 500 server_error, also for streaming requests', async () => {
    for (const streaming of [false, true]) {
      const { res, json } = await send(chat(hello, { model: 'mock-error-500', stream: streaming }));
      assert.equal(res.status, 500);
      assert.equal(res.headers['content-type'], 'application/json');
      assert.deepEqual(json, { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } });
    }
  });

  it('mock-error-<status> answers any 4xx/5xx, for embeddings too', async () => {
    const { res, json } = await send({ model: 'mock-error-503', input: 'x' }, { operation: 'embeddings' });
    assert.equal(res.status, 503);
    assert.equal(json.error.type, 'server_error');
    const unauthorized = await send(chat(hello, { model: 'mock-error-401' }));
    assert.equal(unauthorized.res.status, 401);
    assert.equal(unauthorized.json.error.code, 'invalid_api_key');
    const teapot = await send(chat(hello, { model: 'mock-error-418' }));
    assert.equal(teapot.res.status, 418);
    assert.equal(teapot.json.error.type, 'invalid_request_error');
  });

  it('mock-slow waits 100 ms before a non-streaming answer and between chunks', async () => {
    let started = performance.now();
    await send(chat(hello, { model: 'mock-slow' }));
    assert.ok(performance.now() - started >= 95);
    started = performance.now();
    const res = await mock.send(upstream(chat(hello, { model: 'mock-slow', stream: true })));
    assert.ok(performance.now() - started < 90, 'stream headers come at once');
    const events = sseData(await text(res)).length;
    assert.ok(performance.now() - started >= events * 99 - 10);
  });

  it('rejects a pending answer with the abort reason', async () => {
    const controller = new AbortController();
    const pending = mock.send(upstream(chat(hello, { model: 'mock-slow' }), { signal: controller.signal }));
    const reason = new DOMException('deadline', 'TimeoutError');
    setTimeout(() => controller.abort(reason), 10);
    await assert.rejects(pending, (err) => err === reason);
    await assert.rejects(mock.send(upstream(chat(hello), { signal: AbortSignal.abort() })), { name: 'AbortError' });
  });
});

describe('mock bad requests', () => {
  async function rejects(body: unknown, param: string | null, code: string | null): Promise<any> {
    const { res, json } = await send(body);
    assert.equal(res.status, 400);
    assert.equal(res.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(json.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(json.error.type, 'invalid_request_error');
    assert.equal(json.error.param, param);
    assert.equal(json.error.code, code);
    return json.error;
  }

  it('answers a body that is not JSON with OpenAI\'s parse error', async () => {
    const error = await rejects('{"model": "mock-1", "messages": [', null, null);
    assert.match(error.message, /could not parse the JSON body/);
  });

  it('answers a JSON body that is not an object', async () => {
    await rejects('[1,2]', null, 'invalid_type');
  });

  it('answers missing, mistyped or empty messages', async () => {
    await rejects({ model: 'mock-1' }, 'messages', 'missing_required_parameter');
    await rejects({ model: 'mock-1', messages: 'hi' }, 'messages', 'invalid_type');
    await rejects({ model: 'mock-1', messages: [] }, 'messages', 'empty_array');
    await rejects({ model: 'mock-1', messages: [{ content: 'hi' }] }, 'messages[0].role', 'missing_required_parameter');
    await rejects({ model: 'mock-1', messages: [{ role: 'bot', content: 'hi' }] }, 'messages[0].role', 'invalid_value');
  });

  it('answers out-of-range parameters', async () => {
    await rejects(chat(hello, { n: 0 }), 'n', 'integer_below_min_value');
    await rejects(chat(hello, { n: 1000 }), 'n', 'integer_above_max_value');
    await rejects(chat(hello, { max_tokens: 0 }), 'max_tokens', 'integer_below_min_value');
    await rejects(chat(hello, { max_tokens: 'ten' }), 'max_tokens', 'invalid_type');
    await rejects(chat(hello, { stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop', 'array_above_max_length');
    await rejects(chat(hello, { response_format: { type: 'xml' } }), 'response_format.type', 'invalid_value');
    await rejects(chat(hello, { response_format: { type: 'json_schema' } }), 'response_format.json_schema', 'missing_required_parameter');
    await rejects(chat(hello, { tool_choice: 'required' }), 'tool_choice', null);
    await rejects(chat(hello, { tools: [{ type: 'function', function: {} }] }), 'tools[0].function.name', 'missing_required_parameter');
  });

  it('answers anthropic-format operations with 404, as OpenAI does for an unknown URL', async () => {
    const { res, json } = await send({ model: 'mock-1', messages: [] }, { operation: 'messages' });
    assert.equal(res.status, 404);
    assert.equal(json.error.message, 'Invalid URL (POST /v1/messages)');
  });
});

describe('mock embeddings', () => {
  const embed = (body: Record<string, unknown>) => send({ model: 'text-embedding-3-small', ...body }, { operation: 'embeddings', model: 'text-embedding-3-small' });
  const cosine = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

  it('returns one deterministic unit vector of 256 dimensions per input', async () => {
    const { res, json } = await embed({ input: ['the cat sat', 'a stock market report'] });
    assert.equal(res.status, 200);
    assert.equal(json.object, 'list');
    assert.equal(json.model, 'text-embedding-3-small');
    assert.deepEqual(json.data.map((d: any) => [d.object, d.index, d.embedding.length]), [['embedding', 0, 256], ['embedding', 1, 256]]);
    for (const d of json.data) assert.ok(Math.abs(cosine(d.embedding, d.embedding) - 1) < 1e-5);
    const tokens = countTokens('the cat sat') + countTokens('a stock market report');
    assert.deepEqual(json.usage, { prompt_tokens: tokens, total_tokens: tokens });
    const again = await embed({ input: 'the cat sat' });
    assert.deepEqual(again.json.data[0].embedding, json.data[0].embedding);
  });

  it('places texts that share words closer together', async () => {
    const { json } = await embed({ input: ['the cat sat on the mat', 'the cat sat on a rug', 'quarterly revenue grew sharply'] });
    const [a, b, c] = json.data.map((d: any) => d.embedding);
    assert.ok(cosine(a, b) > cosine(a, c) + 0.2, `${cosine(a, b)} vs ${cosine(a, c)}`);
  });

  it('honours dimensions and base64 little-endian float32 encoding', async () => {
    const floats = (await embed({ input: 'hello', dimensions: 8 })).json.data[0].embedding;
    assert.equal(floats.length, 8);
    const { json } = await embed({ input: 'hello', dimensions: 8, encoding_format: 'base64' });
    const bytes = Buffer.from(json.data[0].embedding, 'base64');
    assert.equal(bytes.length, 32);
    const decoded = Array.from({ length: 8 }, (_, i) => bytes.readFloatLE(i * 4));
    assert.deepEqual(decoded, floats);
  });

  it('accepts token arrays', async () => {
    const { json } = await embed({ input: [[1, 2, 3], [4, 5]] });
    assert.equal(json.data.length, 2);
    assert.equal(json.usage.prompt_tokens, 5);
  });

  it('rejects missing or invalid input and dimensions with 400', async () => {
    for (const [body, param] of [[{}, 'input'], [{ input: [] }, 'input'], [{ input: '' }, 'input'], [{ input: { a: 1 } }, 'input'], [{ input: 'x', dimensions: 0 }, 'dimensions']] as const) {
      const { res, json } = await embed(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(json.error.param, param);
    }
  });
});

describe('mock through the official openai SDK', () => {
  const client = sdkClient();

  it('completes a chat', async () => {
    const completion = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'Hi!' }] });
    assert.equal(completion.choices[0]!.message.content, 'Mock reply to: "Hi!"');
    assert.equal(completion._request_id?.startsWith('req_'), true);
  });

  it('accumulates a streamed tool-call answer into a final completion', async () => {
    const runner = client.chat.completions.stream({
      model: 'mock-1', messages: [{ role: 'user', content: 'weather?' }], tools: [weatherTool as never, timeTool as never], stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!;
    assert.deepEqual(calls.map((c) => (c.type === 'function' ? c.function.name : '')), ['get_weather', 'get_time']);
    assert.equal(final.choices[0]!.finish_reason, 'tool_calls');
    assert.ok(final.usage!.completion_tokens > 0);
  });

  it('accumulates a streamed text answer', async () => {
    const runner = client.chat.completions.stream({ model: 'mock-1', messages: [{ role: 'user', content: 'stream me' }] });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]!.message.content, 'Mock reply to: "stream me"');
  });

  it('decodes base64 embeddings (the SDK\'s default encoding)', async () => {
    const result = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello', dimensions: 16 });
    assert.equal(result.data[0]!.embedding.length, 16);
    const plain = (await send({ model: 'm', input: 'hello', dimensions: 16 }, { operation: 'embeddings' })).json.data[0].embedding;
    assert.deepEqual(result.data[0]!.embedding, plain);
  });

  it('surfaces special models as the SDK\'s typed errors', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'mock-error-429', messages: [{ role: 'user', content: 'x' }] }), OpenAI.RateLimitError);
    await assert.rejects(client.chat.completions.create({ model: 'mock-error-500', messages: [{ role: 'user', content: 'x' }] }), OpenAI.InternalServerError);
  });
});
