/**
 * Acceptance by the real client: a local HTTP server answers POST /v1/responses the way the gateway will
 * (the caller's body through responsesToChatRequest, a recorded chat answer through ChatToResponsesStream or
 * chatToResponsesResponse), and the official `openai` SDK reads it with responses.create and
 * responses.stream, as an application would.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Response as SdkResponse, ResponseOutputItem, ResponseStreamEvent, ResponseUsage } from 'openai/resources/responses/responses';
import { chatToResponsesResponse } from './chat-to-responses-response.ts';
import { ChatToResponsesStream } from './chat-to-responses-stream.ts';
import { normalized } from './fixtures/responses/protocol.ts';
import { fixture, replay } from './fixtures/replay.ts';
import type { OpenAIChatCompletion, OpenAIChatRequest } from './openai-types.ts';
import { mintResponsesId } from './responses-ids.ts';
import { responsesToChatRequest } from './responses-to-chat-request.ts';
import type { ResponsesInputItem, ResponsesOutputItem, ResponsesRequest, ResponsesResponse, ResponsesStreamEvent, ResponsesUsage } from './responses-types.ts';

/**
 * Compile-time: what the gateway writes is what the SDK's types describe. The Response differs in three
 * fields only: output_text (the SDK adds it), usage and user (null on the wire, as the API sends them,
 * where the SDK type has them optional); so do the events that carry it.
 */
type Assignable<T, U> = [T] extends [U] ? true : false;
const TYPE_CHECKS: [
  Assignable<ResponsesOutputItem, ResponseOutputItem>,
  Assignable<ResponsesUsage, ResponseUsage>,
  Assignable<Omit<ResponsesResponse, 'usage' | 'user'>, Omit<SdkResponse, 'output_text' | 'usage' | 'user'>>,
  Assignable<Exclude<ResponsesStreamEvent, { response: unknown }>, ResponseStreamEvent>,
] = [true, true, true, true];

/** Which recorded chat answer the upstream gives, by the model the caller names. */
const ANSWERS: Readonly<Record<string, string>> = {
  'text': 'openai-text-cached.sse.txt',
  'text-tool': 'responses/chat-text-then-tool.sse.txt',
  'parallel': 'openai-parallel-tools.sse.txt',
  'length': 'responses/chat-length.sse.txt',
  'error': 'openai-error.sse.txt',
  'reasoning': 'openai-reasoning.sse.txt',
};

interface Stored {
  input: ResponsesInputItem[];
  output: ResponsesOutputItem[];
  history: unknown[];
}

/** What the server saw, for the tests to look at. */
const seen: { chat: OpenAIChatRequest[] } = { chat: [] };
/** The responses kept for previous_response_id: the integrator's store, in miniature. */
const store = new Map<string, Stored>();

/** The chat completion the SDK's own chat accumulator makes of a recorded chat stream: the non-streamed answer. */
async function chatCompletion(sse: string): Promise<OpenAIChatCompletion> {
  const fetch = () => Promise.resolve(new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
  const upstream = new OpenAI({ apiKey: 'sk-upstream', baseURL: 'http://upstream.test/v1', fetch, maxRetries: 0 });
  const completion = await upstream.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion();
  return completion as unknown as OpenAIChatCompletion;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const body = JSON.parse(raw) as ResponsesRequest;
  const earlier = typeof body.previous_response_id === 'string' ? store.get(body.previous_response_id) : undefined;
  const history = earlier === undefined ? [] : [...earlier.history, ...earlier.input, ...earlier.output];
  const { chat, echo, input, stream } = responsesToChatRequest(body, { model: 'upstream-model', history });
  seen.chat.push(chat);
  const options = { id: mintResponsesId('resp'), createdAt: Math.floor(Date.now() / 1000), model: String(body.model), echo };
  const answer = fixture(ANSWERS[String(body.model)] ?? ANSWERS.text!);
  let response: ResponsesResponse | undefined;
  if (stream) {
    const translator = new ChatToResponsesStream(options);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(replay(translator, answer));
    response = translator.response;
  } else {
    response = chatToResponsesResponse(await chatCompletion(answer), options);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  }
  if (response !== undefined && response.status !== 'failed') store.set(response.id, { input, output: response.output, history });
}

/** The fields the SDK's parse step adds (output_parsed, parsed, parsed_arguments), removed. */
function withoutParsed(response: unknown): unknown {
  return JSON.parse(JSON.stringify(response, (key, value: unknown) => (key === 'output_parsed' || key === 'parsed' || key === 'parsed_arguments' ? undefined : value)));
}

let server: Server;
let client: OpenAI;

before(async () => {
  server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(err instanceof Error ? err.message : err), type: 'invalid_request_error', param: null, code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'x', maxRetries: 0 });
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const WEATHER = {
  type: 'function' as const, name: 'get_weather', description: 'Weather now', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
};

describe('openai SDK: responses.create', () => {
  it('reads a translated text answer: output_text, usage, the echoed request', async () => {
    const response = await client.responses.create({ model: 'text', input: 'Say hi', instructions: 'Be brief.', metadata: { run: '1' } });
    assert.equal(response.output_text, 'Holiday greetings, wörld 👋');
    assert.equal(response.status, 'completed');
    assert.equal(response.object, 'response');
    assert.match(response.id, /^resp_/);
    assert.equal(response.instructions, 'Be brief.');
    assert.deepEqual(response.metadata, { run: '1' });
    assert.deepEqual(response.usage, { input_tokens: 2006, input_tokens_details: { cached_tokens: 1920, cache_write_tokens: 0 }, output_tokens: 300, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 2306 });
  });

  it('sends the SDK\'s body through responsesToChatRequest as the expected chat request', async () => {
    seen.chat.length = 0;
    await client.responses.create({ model: 'text-tool', input: [{ role: 'user', content: 'Weather in Paris?' }], tools: [WEATHER], tool_choice: 'auto', max_output_tokens: 300, temperature: 0 });
    assert.deepEqual(seen.chat[0], {
      model: 'upstream-model',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: WEATHER.parameters, strict: false } }],
      tool_choice: 'auto',
      max_completion_tokens: 300,
      temperature: 0,
    });
  });

  it('reads text followed by a function call', async () => {
    const response = await client.responses.create({ model: 'text-tool', input: 'Weather in Paris?', tools: [WEATHER] });
    assert.equal(response.output_text, 'Let me check the weather in Paris.');
    const calls = response.output.filter((item) => item.type === 'function_call');
    assert.deepEqual(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments)]), [['call_Wm3kP9sQ2xZ7vB1nL4tR8yHc', 'get_weather', { city: 'Paris', unit: 'c' }]]);
  });

  it('reads an answer cut short as incomplete', async () => {
    const response = await client.responses.create({ model: 'length', input: 'Tell a story', max_output_tokens: 12 });
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(response.output_text, 'Once upon a time, in a kingdom by the sea,');
  });
});

describe('openai SDK: streaming', () => {
  it('responses.stream().finalResponse() gives the same Response as the non-streamed call', async () => {
    const streamed = await client.responses.stream({ model: 'text-tool', input: 'Weather in Paris?', tools: [WEATHER] }).finalResponse();
    const plain = await client.responses.create({ model: 'text-tool', input: 'Weather in Paris?', tools: [WEATHER] });
    assert.equal(streamed.output_text, 'Let me check the weather in Paris.');
    assert.equal(streamed.usage?.input_tokens_details.cached_tokens, 1920);
    // The stream helper parses as it goes (responses.parse's fields); the plain call has none of them.
    assert.deepEqual({ ...normalized(withoutParsed(streamed)), id: '' }, { ...normalized(plain), id: '' });
  });

  it('streams parallel tool calls the SDK assembles whole', async () => {
    const response = await client.responses.stream({ model: 'parallel', input: 'Weather in Paris and Tokyo?', tools: [WEATHER] }).finalResponse();
    assert.deepEqual(response.output.map((item) => item.type === 'function_call' && [item.call_id, JSON.parse(item.arguments)]), [
      ['call_O17Uplv4lJvD6DVdIvFFeRMw', { city: 'Paris' }],
      ['call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', { city: 'Tōkyō' }],
    ]);
    assert.equal(response.usage?.total_tokens, 133);
  });

  it('gives text deltas with snapshots and sequence numbers strictly increasing from 0', async () => {
    const stream = client.responses.stream({ model: 'reasoning', input: '17 + 25?' });
    const snapshots: string[] = [];
    stream.on('response.output_text.delta', (event) => snapshots.push(event.snapshot));
    const numbers: number[] = [];
    for await (const event of stream) numbers.push(event.sequence_number);
    assert.deepEqual(numbers, numbers.map((_, i) => i));
    assert.deepEqual(snapshots, ['17 + 25', '17 + 25 = 42.']);
    const response = await stream.finalResponse();
    assert.deepEqual(response.output.map((item) => item.type), ['reasoning', 'message']);
    assert.equal(response.usage?.output_tokens_details.reasoning_tokens, 48);
  });

  it('responses.create({ stream: true }) yields the API\'s events, response.completed last', async () => {
    const stream = await client.responses.create({ model: 'text', input: 'Say hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.deepEqual([types[0], types[1], types.at(-1)], ['response.created', 'response.in_progress', 'response.completed']);
  });

  it('raises the upstream\'s mid-stream error', async () => {
    await assert.rejects(client.responses.stream({ model: 'error', input: 'Say hi' }).finalResponse(), (err: unknown) => err instanceof OpenAI.APIError && /server had an error/.test(err.message));
  });

  it('reads an incomplete streamed answer', async () => {
    const response = await client.responses.stream({ model: 'length', input: 'Tell a story' }).finalResponse();
    assert.equal(response.status, 'incomplete');
    assert.deepEqual(response.incomplete_details, { reason: 'max_output_tokens' });
  });
});

describe('openai SDK: a function-tool loop over previous_response_id', () => {
  it('continues a conversation with the function call\'s output', async () => {
    const first = await client.responses.create({ model: 'text-tool', input: 'Weather in Paris?', tools: [WEATHER] });
    const fc = first.output.find((item) => item.type === 'function_call');
    assert.ok(fc?.type === 'function_call');
    seen.chat.length = 0;
    const second = await client.responses.stream({
      model: 'text', previous_response_id: first.id, tools: [WEATHER],
      input: [{ type: 'function_call_output', call_id: fc.call_id, output: JSON.stringify({ temp_c: 18 }) }],
    }).finalResponse();
    assert.equal(second.previous_response_id, first.id);
    assert.deepEqual(seen.chat[0]?.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me check the weather in Paris.', tool_calls: [{ id: fc.call_id, type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "c"}' } }] },
      { role: 'tool', tool_call_id: fc.call_id, content: '{"temp_c":18}' },
    ]);
    // A third turn sends the whole chain again, the second answer included.
    seen.chat.length = 0;
    await client.responses.create({ model: 'text', previous_response_id: second.id, input: 'Thanks!' });
    assert.deepEqual(seen.chat[0]?.messages.slice(-2), [{ role: 'assistant', content: 'Holiday greetings, wörld 👋' }, { role: 'user', content: 'Thanks!' }]);
  });

  it('replays a client-kept history (output items sent back as input) the same way', async () => {
    const first = await client.responses.create({ model: 'text-tool', input: 'Weather in Paris?', tools: [WEATHER], store: false });
    const fc = first.output.find((item) => item.type === 'function_call');
    assert.ok(fc?.type === 'function_call');
    seen.chat.length = 0;
    await client.responses.create({
      model: 'text', tools: [WEATHER],
      input: [{ role: 'user', content: 'Weather in Paris?' }, ...first.output as OpenAI.Responses.ResponseInputItem[], { type: 'function_call_output', call_id: fc.call_id, output: '{"temp_c":18}' }],
    });
    assert.equal(seen.chat[0]?.messages.length, 3);
    assert.equal(seen.chat[0]?.messages[1]?.tool_calls?.[0]?.id, fc.call_id);
  });
});

void TYPE_CHECKS;
