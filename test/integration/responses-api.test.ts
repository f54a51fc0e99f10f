// POST /v1/responses as the official openai SDK calls it, for every kind of upstream: OpenAI itself (the request
// and the answer pass as they came), an OpenAI-compatible vendor (translated to chat completions and back), an
// Anthropic upstream (translated to Messages and back), each replaying recorded traffic; the conversation state the
// gateway keeps (previous_response_id, GET, DELETE, tenants apart) and the refusals of bad input.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { adminCall } from '../support/admin-call.ts';
import type { ReplayServer } from '../support/replay-server.ts';
import { CHAT_TEXT, fixtureBody, recordedTypes, startResponsesRig, type ResponsesRig } from '../support/responses-upstreams.ts';
import { ADMIN_KEY, type TestGateway } from '../support/start-gateway.ts';
import { usageFor } from '../support/usage-for.ts';

/** Collapses runs of the same delta event: streams of different lengths compare by their shape. */
function shape(types: readonly string[]): string[] {
  return types.filter((t, i) => !(t.endsWith('.delta') && types[i - 1] === t));
}

describe('Responses API (POST /v1/responses) through the openai SDK', () => {
  let rig: ResponsesRig;
  let openaiUp: ReplayServer;
  let compatUp: ReplayServer;
  let anthropicUp: ReplayServer;
  let gw: TestGateway;
  let client: OpenAI;
  const call = adminCall(() => gw);

  before(async () => {
    // `mixed`: an OpenAI-compatible model first, OpenAI itself as its fallback.
    rig = await startResponsesRig({ models: [{ name: 'mixed', provider: 'compat', model: 'llama-3.3-70b', fallbacks: ['openai/gpt-4o-mini'] }] });
    ({ openaiUp, compatUp, anthropicUp, gw } = rig);
    client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  afterEach(() => rig.clearRequests());
  after(() => rig.close());

  describe('an OpenAI upstream: the request and the answer as they came', () => {
    it('creates a response: the caller\'s bytes go to /v1/responses, the recorded answer comes back, usage is recorded', async () => {
      const { data, response } = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'Hello!' }).withResponse();
      assert.deepEqual(JSON.parse(JSON.stringify(data)), { ...fixtureBody('openai/responses-basic.json'), output_text: data.output_text });
      assert.equal(data.output_text, 'Hello! How can I help you today?');
      const sent = openaiUp.requests[0]!;
      assert.equal(sent.path, '/v1/responses');
      assert.deepEqual(JSON.parse(sent.body), { model: 'gpt-4o-mini', input: 'Hello!' });
      const records = await usageFor(gw, response.headers.get('x-request-id')!);
      const request = records.find((r) => r.kind === 'request')!;
      assert.equal((request as unknown as { endpoint: string }).endpoint, 'responses');
      assert.equal(request.inputTokens, 9);
      assert.equal(request.outputTokens, 10);
    });

    it('streams the recorded events unchanged; the SDK assembles the recorded final response', async () => {
      const stream = client.responses.stream({ model: 'openai/gpt-4o-mini', input: 'Hello!' });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      const final = await stream.finalResponse();
      assert.deepEqual(types, recordedTypes('openai/responses-stream.sse'));
      assert.equal(final.output_text, 'Hello! How can I help you today?');
      assert.equal(final.usage?.total_tokens, 19);
    });

    it('keeps the conversation itself: the next turn sends the earlier items as input, not the id', async () => {
      const first = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'Hello!' });
      const second = await client.responses.create({ model: 'openai/gpt-4o-mini', input: 'And again?', previous_response_id: first.id });
      assert.ok(second.id);
      const sent = JSON.parse(openaiUp.requests[1]!.body) as { input: Array<{ role?: string; type?: string }>; previous_response_id?: string };
      assert.equal(sent.previous_response_id, undefined);
      assert.deepEqual(sent.input.map((i) => i.role ?? i.type), ['user', 'assistant', 'user']);
    });

    it('passes what only OpenAI can do (built-in tools, their items, file ids, references to its own items) on as it came', async () => {
      const input: OpenAI.Responses.ResponseInput = [
        { role: 'user', content: [{ type: 'input_text', text: 'What changed since?' }, { type: 'input_file', file_id: 'file-Qm4Xr8Tz2Vb6Nc0L' }] },
        { type: 'web_search_call', id: 'ws_0a6f2c9e41d7b3580068e1c2b9a1', status: 'completed', action: { type: 'search', query: 'switchboard release' } },
        { type: 'item_reference', id: 'msg_0a6f2c9e41d7b3580068e1c2b8104c72a9e5d3f1b0c6a824' },
        { role: 'user', content: 'Search again.' },
      ];
      const body = { model: 'openai/gpt-4o-mini', input, tools: [{ type: 'web_search' as const }], tool_choice: 'required' as const, include: ['web_search_call.action.sources' as const] };
      const res = await client.responses.create(body);
      assert.equal(res.id, (fixtureBody('openai/responses-tool.json') as { id: string }).id, 'the recorded answer, as it came');
      assert.deepEqual(JSON.parse(openaiUp.requests[0]!.body), { ...body, model: 'gpt-4o-mini' });
      // The same request cannot become a chat completion: a translated upstream refuses it, naming the first field.
      await assert.rejects(client.responses.create({ ...body, model: 'compat/llama-3.3-70b' }), (err: unknown) => err instanceof OpenAI.BadRequestError && (err.error as { param?: string }).param === 'tools[0].type');
      assert.equal(compatUp.requests.length, 0);
    });

    it('passes such a request over a translating first target to an OpenAI fallback', async () => {
      const { data, response } = await client.responses.create({ model: 'mixed', input: 'Search the news.', tools: [{ type: 'web_search' }] }).withResponse();
      assert.equal(data.id, (fixtureBody('openai/responses-tool.json') as { id: string }).id);
      assert.equal(response.headers.get('x-switchboard-target'), 'openai/gpt-4o-mini');
      assert.equal(compatUp.requests.length, 0, 'nothing was sent to the target that could not serve it');
      // Without a target that can, the refusal is the answer; a request the chat can carry stays on the first target.
      assert.equal((await client.responses.create({ model: 'mixed', input: 'Hello!' })).output_text, CHAT_TEXT);
      assert.equal(compatUp.requests.length, 1);
    });
  });

  describe('an OpenAI-compatible upstream: translated to chat completions and back', () => {
    it('creates a response from a chat completion', async () => {
      const res = await client.responses.create({ model: 'compat/llama-3.3-70b', instructions: 'Be brief.', input: 'Hello!', max_output_tokens: 50, metadata: { team: 'docs' } });
      assert.equal(res.object, 'response');
      assert.match(res.id, /^resp_/);
      assert.equal(res.status, 'completed');
      assert.equal(res.output_text, CHAT_TEXT);
      assert.equal(res.instructions, 'Be brief.');
      assert.deepEqual(res.metadata, { team: 'docs' });
      assert.ok(res.usage && res.usage.input_tokens > 0 && res.usage.output_tokens > 0);
      const sent = compatUp.requests[0]!;
      assert.equal(sent.path, '/v1/chat/completions');
      const chat = JSON.parse(sent.body) as { messages: Array<{ role: string; content: unknown }>; max_completion_tokens?: number; max_tokens?: number; metadata?: unknown };
      assert.deepEqual(chat.messages.map((m) => m.role), ['system', 'user']);
      assert.equal(chat.max_completion_tokens ?? chat.max_tokens, 50);
      assert.equal(chat.metadata, undefined, 'metadata stays with the gateway: vendors reject it');
    });

    it('streams the documented event sequence; the SDK\'s final response equals the non-streamed one', async () => {
      const stream = client.responses.stream({ model: 'compat/llama-3.3-70b', input: 'Hello!' });
      const types: string[] = [];
      const sequence: number[] = [];
      for await (const event of stream) {
        types.push(event.type);
        sequence.push(event.sequence_number);
      }
      const final = await stream.finalResponse();
      assert.deepEqual(shape(types), shape(recordedTypes('openai/responses-stream.sse')));
      assert.deepEqual(sequence, sequence.map((_, i) => i));
      const whole = await client.responses.create({ model: 'compat/llama-3.3-70b', input: 'Hello!' });
      assert.equal(final.output_text, whole.output_text);
      assert.equal(final.status, 'completed');
      assert.ok(final.usage && final.usage.output_tokens > 0);
    });

    it('runs a function-tool loop with previous_response_id', async () => {
      const tools: OpenAI.Responses.Tool[] = [
        { type: 'function', name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] }, strict: false },
        { type: 'function', name: 'get_time', description: 'Time in a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] }, strict: false },
      ];
      const first = await client.responses.create({ model: 'compat/llama-3.3-70b', input: 'Weather and time in Paris?', tools });
      const calls = first.output.filter((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === 'function_call');
      assert.deepEqual(calls.map((c) => c.name).sort(), ['get_time', 'get_weather']);
      const outputs = calls.map((c) => ({ type: 'function_call_output' as const, call_id: c.call_id, output: JSON.stringify({ ok: c.name }) }));
      const second = await client.responses.create({ model: 'compat/llama-3.3-70b', previous_response_id: first.id, input: outputs, tools });
      assert.equal(second.output_text, CHAT_TEXT);
      const chat = JSON.parse(compatUp.requests[1]!.body) as { messages: Array<{ role: string; tool_calls?: Array<{ id: string }>; tool_call_id?: string }> };
      assert.deepEqual(chat.messages.map((m) => m.role), ['user', 'assistant', 'tool', 'tool']);
      assert.deepEqual(chat.messages[1]!.tool_calls!.map((t) => t.id).sort(), calls.map((c) => c.call_id).sort());
      assert.deepEqual(chat.messages.slice(2).map((m) => m.tool_call_id), calls.map((c) => c.call_id));
    });
  });

  describe('an Anthropic upstream: translated to Messages and back', () => {
    it('creates a response, with usage mapped', async () => {
      const { data, response } = await client.responses.create({ model: 'anthropic/claude-sonnet-4-5', input: 'Hello!' }).withResponse();
      const message = fixtureBody('anthropic/messages-basic.json') as { content: Array<{ text: string }>; usage: { input_tokens: number; output_tokens: number } };
      assert.equal(data.output_text, message.content[0]!.text);
      assert.equal(data.usage?.output_tokens, message.usage.output_tokens);
      assert.equal(anthropicUp.requests[0]!.path, '/v1/messages');
      const records = await usageFor(gw, response.headers.get('x-request-id')!);
      assert.equal(records.find((r) => r.kind === 'request')!.outputTokens, message.usage.output_tokens);
    });

    it('streams, the SDK assembling the same text as the non-streamed answer', async () => {
      const stream = client.responses.stream({ model: 'anthropic/claude-sonnet-4-5', input: 'Hello!' });
      const types: string[] = [];
      for await (const event of stream) types.push(event.type);
      const final = await stream.finalResponse();
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      assert.ok(final.output_text.length > 0);
      assert.ok(final.usage && final.usage.output_tokens > 0);
    });
  });

  describe('stored responses', () => {
    it('retrieves and deletes a stored response; store: false keeps nothing', async () => {
      const made = await client.responses.create({ model: 'mock', input: 'Hello!' });
      const got = await client.responses.retrieve(made.id);
      assert.equal(got.id, made.id);
      assert.equal(got.output_text, made.output_text);
      const items = await client.responses.inputItems.list(made.id);
      assert.deepEqual(items.data.map((i) => i.type), ['message']);
      assert.deepEqual((items.data[0] as OpenAI.Responses.ResponseInputMessageItem).content, [{ type: 'input_text', text: 'Hello!' }]);
      await client.responses.delete(made.id);
      await assert.rejects(client.responses.retrieve(made.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
      const unkept = await client.responses.create({ model: 'mock', input: 'Hello!', store: false });
      await assert.rejects(client.responses.retrieve(unkept.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
    });

    it('keeps each workspace\'s responses to itself', async () => {
      for (const ws of ['resp-a', 'resp-b']) assert.equal((await call('POST', '/api/workspaces', { id: ws, name: ws })).status, 201);
      const keyA = (await call('POST', '/api/keys', { name: 'ra', role: 'member', workspaceId: 'resp-a' })).body.key as string;
      const keyA2 = (await call('POST', '/api/keys', { name: 'ra2', role: 'member', workspaceId: 'resp-a' })).body.key as string;
      const keyB = (await call('POST', '/api/keys', { name: 'rb', role: 'member', workspaceId: 'resp-b' })).body.key as string;
      const as = (key: string): OpenAI => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
      const made = await as(keyA).responses.create({ model: 'mock', input: 'Hello!' });
      assert.equal((await as(keyA2).responses.retrieve(made.id)).id, made.id, 'a workspace\'s keys share its responses');
      await assert.rejects(as(keyB).responses.retrieve(made.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
      await assert.rejects(as(keyB).responses.create({ model: 'mock', input: 'more', previous_response_id: made.id }), (err: unknown) => err instanceof OpenAI.NotFoundError);
      await assert.rejects(as(keyB).responses.delete(made.id), (err: unknown) => err instanceof OpenAI.NotFoundError);
      assert.equal((await as(keyA).responses.retrieve(made.id)).id, made.id, 'still there after the other tenant\'s delete');
    });
  });

  describe('bad input: 400 with the field at fault', () => {
    const refused = async (body: Record<string, unknown>, param: string, code: string): Promise<void> => {
      const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const text = await res.text();
      assert.equal(res.status, 400, text);
      const error = (JSON.parse(text) as { error: { param: string | null; code: string } }).error;
      assert.equal(error.param, param, text);
      assert.equal(res.headers.get('x-switchboard-error-code'), code, text);
    };

    it('refuses a built-in tool for an upstream that is not OpenAI, naming it', async () => {
      await refused({ model: 'compat/llama-3.3-70b', input: 'hi', tools: [{ type: 'web_search' }] }, 'tools[0].type', 'SB_UNSUPPORTED_PARAMETER');
    });

    it('names the field the caller sent when the target refuses what its chat counterpart is', async () => {
      // Claude has no verbosity; the chat field it becomes is "verbosity", the caller sent text.verbosity.
      await refused({ model: 'anthropic/claude-sonnet-4-5', input: 'hi', text: { verbosity: 'low' } }, 'text.verbosity', 'SB_UNSUPPORTED_PARAMETER');
    });

    it('refuses a function_call_output without its call', async () => {
      await refused({ model: 'mock', input: [{ type: 'function_call_output', call_id: 'call_nowhere', output: '1' }] }, 'input[0].call_id', 'SB_INVALID_REQUEST');
    });

    it('refuses an unknown item type', async () => {
      await refused({ model: 'mock', input: [{ type: 'telepathy', content: 'hi' }] }, 'input[0].type', 'SB_INVALID_REQUEST');
    });

    it('refuses a body without a model', async () => {
      const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: 'hi' }) });
      assert.equal(res.status, 400);
    });

    it('answers an unknown previous_response_id with 404', async () => {
      const res = await fetch(`${gw.url}/v1/responses`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock', input: 'hi', previous_response_id: 'resp_nope' }) });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { error: { param: string } }).error.param, 'previous_response_id');
    });
  });
});
