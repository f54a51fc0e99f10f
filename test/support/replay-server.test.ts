import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { request } from 'undici';
import { FIXTURES_DIR, GARBAGE_BODY, splitEvents, startReplayServer } from './replay-server.ts';
import type { ReplayRoute, ReplayServer } from './replay-server.ts';

const servers: ReplayServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function serve(routes: ReplayRoute[]): Promise<ReplayServer> {
  const server = await startReplayServer(routes);
  servers.push(server);
  return server;
}

function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES_DIR, name), 'utf8');
}

function post(server: ReplayServer, path: string, body: unknown, headers: Record<string, string> = {}) {
  return request(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Reads a body chunk by chunk, noting when each chunk arrived. */
async function chunksOf(body: AsyncIterable<Buffer>): Promise<{ text: string; times: number[] }> {
  let text = '';
  const times: number[] = [];
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    times.push(performance.now());
  }
  return { text, times };
}

describe('startReplayServer', () => {
  it('listens on 127.0.0.1 and replays a JSON fixture with its recorded status and headers', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' }]);
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await post(server, '/v1/chat/completions', { model: 'gpt-4o-mini', messages: [] });
    const recorded = JSON.parse(fixtureText('openai/chat-basic.json'));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-request-id'], recorded.headers['x-request-id']);
    assert.equal(res.headers['openai-processing-ms'], recorded.headers['openai-processing-ms']);
    assert.equal(res.headers['content-type'], 'application/json');
    const text = await res.body.text();
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(text)));
    assert.deepEqual(JSON.parse(text), recorded.body);
  });

  it('captures every request: method, path with query, headers and body', async () => {
    const server = await serve([{ method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', fixture: 'azure/chat-basic.json' }]);
    const body = { messages: [{ role: 'user', content: 'Hello!' }] };
    const res = await post(server, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', body, { 'api-key': 'azure-key' });
    assert.equal(res.statusCode, 200);
    assert.ok((await res.body.json() as any).prompt_filter_results);
    await (await request(`${server.url}/v1/models`)).body.text();
    assert.equal(server.requests.length, 2);
    const [first, second] = server.requests;
    assert.equal(first!.method, 'POST');
    assert.equal(first!.path, '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    assert.equal(first!.headers['api-key'], 'azure-key');
    assert.deepEqual(JSON.parse(first!.body), body);
    assert.deepEqual([second!.method, second!.path, second!.body], ['GET', '/v1/models', '']);
  });

  it('answers 404 for a request no route matches, and still captures it', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-basic.json' }]);
    const res = await post(server, '/v1/chat/completions', {});
    assert.equal(res.statusCode, 404);
    assert.match((await res.body.json() as any).error.message, /no route for POST \/v1\/chat\/completions/);
    assert.equal(server.requests.length, 1);
  });

  it('replays SSE bytes exactly, one chunk per event, chunkDelayMs apart', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-stream.sse', chunkDelayMs: 25 }]);
    const res = await post(server, '/v1/messages', { stream: true });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(String(res.headers['request-id']), /^req_011/, 'provider stream headers from _stream-headers.json');
    assert.equal(res.headers['anthropic-ratelimit-requests-remaining'], '3999');
    const { text, times } = await chunksOf(res.body);
    const recorded = fixtureText('anthropic/messages-stream.sse');
    assert.equal(text, recorded);
    const events = splitEvents(recorded).length;
    assert.equal(times.length, events, 'each event arrives as its own chunk');
    assert.ok(times.at(-1)! - times[0]! >= (events - 1) * 25 - 10);
  });

  it('chooses a route by a predicate on the parsed body', async () => {
    const server = await serve([
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.stream === true, fixture: 'openai/chat-stream.sse' },
      { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' },
    ]);
    const streamed = await post(server, '/v1/chat/completions', { stream: true });
    assert.equal(streamed.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(await streamed.body.text(), fixtureText('openai/chat-stream.sse'));
    const plain = await post(server, '/v1/chat/completions', { stream: false });
    assert.equal((await plain.body.json() as any).object, 'chat.completion');
  });

  it('matches paths by RegExp and uses a route only `times` times', async () => {
    const server = await serve([
      { method: 'POST', path: /\/chat\/completions$/, fixture: 'openai/error-500.json', times: 1 },
      { method: 'POST', path: /\/chat\/completions$/, fixture: 'openai/chat-basic.json' },
    ]);
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await post(server, '/v1/chat/completions', {});
      await res.body.text();
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [500, 200, 200]);
  });

  it('overrides the recorded status and headers when asked', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-429.json', status: 503, headers: { 'retry-after': '0' } }]);
    const res = await post(server, '/v1/chat/completions', {});
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '0');
    assert.equal((await res.body.json() as any).error.code, 'rate_limit_exceeded');
  });

  it('fails at start when a fixture is missing', async () => {
    await assert.rejects(startReplayServer([{ method: 'POST', path: '/', fixture: 'openai/nope.json' }]), { code: 'ENOENT' });
  });
});

describe('replay behaviours', () => {
  it('hang: accepts the request and never answers', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'hang' }]);
    await assert.rejects(
      request(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(100) }),
      { name: 'TimeoutError' },
    );
    assert.equal(server.requests.length, 1);
  });

  it('close() ends promptly while a client hangs, and the client sees the connection drop', async () => {
    const server = await startReplayServer([{ method: 'POST', path: '/v1/messages', behaviour: 'hang' }]);
    const pending = request(`${server.url}/v1/messages`, { method: 'POST', body: '{"model":"claude"}' });
    pending.catch(() => undefined);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await server.close();
    assert.ok(performance.now() - started < 500, 'close did not wait for the hung request');
    await assert.rejects(pending);
  });

  it('close() also ends an open SSE replay', async () => {
    const server = await startReplayServer([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-stream.sse', chunkDelayMs: 1_000 }]);
    const res = await post(server, '/v1/messages', {});
    const reading = res.body.text();
    await server.close();
    await assert.rejects(reading);
  });

  it('reset: destroys the connection without an answer', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'reset' }]);
    await assert.rejects(post(server, '/v1/chat/completions', { model: 'x' }), (err: any) => ['ECONNRESET', 'UND_ERR_SOCKET'].includes(err.code));
    assert.equal(JSON.parse(server.requests[0]!.body).model, 'x', 'the body was read before the reset');
  });

  it('garbage: 200 application/json with a body that is not valid JSON', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'garbage' }]);
    const res = await post(server, '/v1/chat/completions', {});
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    const text = await res.body.text();
    assert.equal(text, GARBAGE_BODY);
    assert.throws(() => JSON.parse(text), SyntaxError);
  });

  it('reset-mid-stream: sends headers and the first events, then drops the connection', async () => {
    const server = await serve([{ method: 'POST', path: '/v1/messages', behaviour: 'reset-mid-stream', fixture: 'anthropic/messages-stream.sse', eventsBeforeReset: 3 }]);
    const res = await post(server, '/v1/messages', { stream: true });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    let received = '';
    await assert.rejects(async () => { for await (const chunk of res.body) received += chunk.toString(); });
    assert.equal(received, splitEvents(fixtureText('anthropic/messages-stream.sse')).slice(0, 3).join(''));
  });
});

describe('fixtures', () => {
  const providers = readdirSync(FIXTURES_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  const files = providers.filter((p) => p !== 'sidecar').flatMap((p) => readdirSync(join(FIXTURES_DIR, p)).map((f) => `${p}/${f}`));

  it('include every file the suites rely on', () => {
    const required = [
      'openai/chat-basic.json', 'openai/chat-tools-parallel.json', 'openai/chat-stream.sse', 'openai/chat-stream-tools-parallel.sse',
      'openai/chat-json-schema.json', 'openai/embeddings.json', 'openai/error-401.json', 'openai/error-429.json', 'openai/error-500.json',
      'anthropic/messages-basic.json', 'anthropic/messages-tools-parallel.json', 'anthropic/messages-stream.sse', 'anthropic/messages-stream-tools.sse',
      'anthropic/messages-stream-thinking.sse', 'anthropic/messages-stream-error.sse', 'anthropic/count-tokens.json', 'anthropic/error-401.json',
      'anthropic/error-529-overloaded.json', 'anthropic/error-400.json', 'azure/chat-basic.json',
    ];
    for (const name of required) assert.ok(files.includes(name), name);
  });

  it('are all loadable by the server', async () => {
    const routes = files.filter((f) => !f.includes('/_')).map((fixture) => ({ method: 'POST', path: `/${fixture}`, fixture }));
    const server = await serve(routes);
    assert.ok(server.url);
  });

  it('carry the provider\'s request-id header', () => {
    for (const name of files.filter((f) => f.endsWith('.json') && !f.includes('/_'))) {
      const { headers } = JSON.parse(fixtureText(name));
      const id = name.startsWith('anthropic/') ? headers['request-id'] : headers['x-request-id'];
      assert.ok(typeof id === 'string' && id.length > 0, name);
    }
  });

  it('OpenAI chat streams: data-only events of JSON chunks with one id, ending in [DONE]', () => {
    for (const name of files.filter((f) => !f.startsWith('anthropic/') && !f.includes('/responses-') && f.endsWith('.sse'))) {
      const events = splitEvents(fixtureText(name));
      assert.equal(events.at(-1), 'data: [DONE]\n\n', name);
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
      assert.equal(new Set(chunks.map((c) => c.id)).size, 1, name);
      assert.deepEqual(chunks.at(-1).choices, [], `${name} ends with a usage chunk`);
    }
  });

  it('OpenAI Responses streams: each event named by an event: line, sequence_number from 0, ending in response.completed', () => {
    for (const name of files.filter((f) => f.includes('/responses-') && f.endsWith('.sse'))) {
      const events = splitEvents(fixtureText(name)).map((event) => {
        const match = /^event: ([\w.]+)\ndata: (.*)\n\n$/.exec(event);
        assert.ok(match, `${name}: ${event}`);
        const data = JSON.parse(match[2]!);
        assert.equal(data.type, match[1], name);
        return data as { type: string; sequence_number: number };
      });
      assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i), name);
      assert.equal(events.at(-1)!.type, 'response.completed', name);
    }
  });

  it('Anthropic streams: every event has an event: line naming its data type', () => {
    for (const name of files.filter((f) => f.startsWith('anthropic/') && f.endsWith('.sse'))) {
      for (const event of splitEvents(fixtureText(name))) {
        const match = /^event: (\w+)\ndata: (.*)\n\n$/.exec(event);
        assert.ok(match, `${name}: ${event}`);
        assert.equal(JSON.parse(match[2]!).type, match[1], name);
      }
    }
  });
});

describe('fixtures through the official SDKs', () => {
  async function openaiOn(routes: ReplayRoute[]): Promise<OpenAI> {
    const server = await serve(routes);
    return new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1`, maxRetries: 0 });
  }
  async function anthropicOn(routes: ReplayRoute[]): Promise<Anthropic> {
    const server = await serve(routes);
    return new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.url, maxRetries: 0 });
  }
  const ask = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'Weather and time in Paris?' }] };
  const askClaude = { model: 'claude-replay', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hi' }] };

  it('openai: interleaved parallel tool-call fragments accumulate into two calls', async () => {
    const client = await openaiOn([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-stream-tools-parallel.sse' }]);
    const final = await client.chat.completions.stream(ask).finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : []));
    assert.deepEqual(calls, [['get_weather', { location: 'Paris, France', unit: 'celsius' }], ['get_time', { timezone: 'Europe/Paris' }]]);
    assert.equal(final.usage?.total_tokens, 174);
  });

  it('openai: text stream, JSON fixtures and errors parse as the SDK expects', async () => {
    const client = await openaiOn([
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.stream === true, fixture: 'openai/chat-stream.sse' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'limited', fixture: 'openai/error-429.json' },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'bad-key', fixture: 'openai/error-401.json' },
      { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' },
      { method: 'POST', path: '/v1/embeddings', fixture: 'openai/embeddings.json' },
    ]);
    const streamed = await client.chat.completions.stream(ask).finalChatCompletion();
    assert.equal(streamed.choices[0]!.message.content, 'Hello! How can I assist you today?');
    const plain = await client.chat.completions.create(ask);
    assert.equal(plain.choices[0]!.message.content, 'Hello! How can I assist you today?');
    assert.equal(plain._request_id, 'req_4f0e2b7c9a1d43e58b6f2c0d9e7a1b35');
    const embeddings = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b'], encoding_format: 'float' });
    for (const d of embeddings.data) assert.ok(Math.abs(Math.hypot(...d.embedding) - 1) < 1e-6);
    await assert.rejects(client.chat.completions.create({ ...ask, model: 'limited' }), (err) => err instanceof OpenAI.RateLimitError && err.headers.get('retry-after') === '1');
    await assert.rejects(client.chat.completions.create({ ...ask, model: 'bad-key' }), (err) => err instanceof OpenAI.AuthenticationError && err.code === 'invalid_api_key');
  });

  it('anthropic: tool stream yields two tool_use blocks, the second with empty input', async () => {
    const client = await anthropicOn([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-stream-tools.sse' }]);
    const message = await client.messages.stream(askClaude).finalMessage();
    assert.deepEqual(message.content.map((b) => b.type), ['text', 'tool_use', 'tool_use']);
    const [, weather, reminders] = message.content;
    assert.deepEqual(weather?.type === 'tool_use' && weather.input, { location: 'Paris, France', unit: 'celsius' });
    assert.deepEqual(reminders?.type === 'tool_use' && reminders.input, {});
    assert.equal(message.stop_reason, 'tool_use');
    assert.equal(message.usage.output_tokens, 112);
  });

  it('anthropic: thinking stream keeps thinking text and signature', async () => {
    const client = await anthropicOn([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-stream-thinking.sse' }]);
    const message = await client.messages.stream(askClaude).finalMessage();
    const [thinking, text] = message.content;
    assert.ok(thinking?.type === 'thinking' && thinking.thinking.endsWith('= 12231.') && thinking.signature.length > 20);
    assert.ok(text?.type === 'text' && text.text === '27 × 453 = **12,231**');
  });

  it('anthropic: an error event after 200 makes the stream throw overloaded_error', async () => {
    const client = await anthropicOn([{ method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-stream-error.sse' }]);
    await assert.rejects(client.messages.stream(askClaude).finalMessage(), (err) => err instanceof Anthropic.APIError && /overloaded_error/.test(err.message));
  });

  it('anthropic: JSON fixtures and errors parse as the SDK expects', async () => {
    const client = await anthropicOn([
      { method: 'POST', path: '/v1/messages/count_tokens', fixture: 'anthropic/count-tokens.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'overloaded', fixture: 'anthropic/error-529-overloaded.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'bad-key', fixture: 'anthropic/error-401.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'no-max', fixture: 'anthropic/error-400.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => Array.isArray(b.tools), fixture: 'anthropic/messages-tools-parallel.json' },
      { method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-basic.json' },
    ]);
    const basic = await client.messages.create(askClaude);
    assert.ok(basic.content[0]?.type === 'text' && basic.content[0].text === 'Hello! How can I help you today?');
    const tools = await client.messages.create({ ...askClaude, tools: [{ name: 'get_weather', input_schema: { type: 'object' } }] });
    assert.deepEqual(tools.content.filter((b) => b.type === 'tool_use').map((b) => b.name), ['get_weather', 'get_time']);
    assert.equal((await client.messages.countTokens(askClaude)).input_tokens, 14);
    await assert.rejects(client.messages.create({ ...askClaude, model: 'overloaded' }), (err) => err instanceof Anthropic.APIError && err.status === 529);
    await assert.rejects(client.messages.create({ ...askClaude, model: 'bad-key' }), Anthropic.AuthenticationError);
    await assert.rejects(client.messages.create({ ...askClaude, model: 'no-max' }), Anthropic.BadRequestError);
  });
});
