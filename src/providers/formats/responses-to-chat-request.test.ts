import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { chatToResponsesResponse } from './chat-to-responses-response.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import { responsesToChatRequest, type ResponsesToChatOptions } from './responses-to-chat-request.ts';
import type { ResponsesRequest } from './responses-types.ts';

type Json = Record<string, any>;

const MODEL = 'qwen3-32b';
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PDF = 'data:application/pdf;base64,JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+CnN0cmVhbQo=';
const WEATHER = { type: 'function', name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }, strict: null };

function translate(body: Json, options: Partial<ResponsesToChatOptions> = {}) {
  return responsesToChatRequest({ model: 'gpt-4.1', input: 'Hello', ...body } as ResponsesRequest, { model: MODEL, ...options });
}

function rejects(body: Json, code: ErrorCode, param: string, message?: RegExp, options: Partial<ResponsesToChatOptions> = {}): void {
  assert.throws(() => translate(body, options), (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.param, param);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

const user = (content: unknown): Json => ({ type: 'message', role: 'user', content });
const call = (callId: string, name = 'get_weather', args = '{"city":"Paris"}'): Json => ({ type: 'function_call', call_id: callId, name, arguments: args });
const output = (callId: string, out: unknown = '{"temp_c":18}'): Json => ({ type: 'function_call_output', call_id: callId, output: out });

describe('responsesToChatRequest: envelope and parameters', () => {
  it('turns a string input into one user message for the upstream model', () => {
    const { chat, input, stream } = translate({});
    assert.deepEqual(chat, { model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    assert.deepEqual(input, [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }] }]);
    assert.equal(stream, false);
  });

  it('puts instructions first as a system message', () => {
    const { chat, echo } = translate({ instructions: 'Answer in French.' });
    assert.deepEqual(chat.messages, [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'Hello' }]);
    assert.equal(echo.instructions, 'Answer in French.');
    rejects({ instructions: ['x'] }, 'SB_INVALID_REQUEST', 'instructions');
  });

  it('maps max_output_tokens, temperature, top_p, user, service_tier, reasoning effort and verbosity', () => {
    const { chat } = translate({ max_output_tokens: 256, temperature: 0.3, top_p: 0.9, user: 'user-42', service_tier: 'flex', reasoning: { effort: 'high' }, text: { verbosity: 'low' } });
    assert.deepEqual(chat, {
      model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 256, temperature: 0.3, top_p: 0.9,
      reasoning_effort: 'high', verbosity: 'low', user: 'user-42', service_tier: 'flex',
    });
  });

  it('keeps metadata, store, previous_response_id, truncation, safety_identifier and prompt_cache_key out of the chat body, but echoes them', () => {
    const { chat, echo } = translate({ metadata: { run: '7' }, store: false, previous_response_id: 'resp_prev', truncation: 'auto', safety_identifier: 'sid', prompt_cache_key: 'pck' });
    assert.deepEqual(chat, { model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    assert.deepEqual([echo.metadata, echo.store, echo.previous_response_id, echo.truncation, echo.safety_identifier, echo.prompt_cache_key], [{ run: '7' }, false, 'resp_prev', 'auto', 'sid', 'pck']);
  });

  it('echoes what the API reports for fields not sent', () => {
    assert.deepEqual(translate({}).echo, {
      instructions: null, metadata: {}, parallel_tool_calls: true, temperature: null, tool_choice: 'auto', tools: [], top_p: null, background: false,
      max_output_tokens: null, previous_response_id: null, prompt_cache_key: null, reasoning: { effort: null, summary: null }, safety_identifier: null,
      service_tier: 'auto', store: true, text: { format: { type: 'text' } }, top_logprobs: 0, truncation: 'disabled', user: null,
    });
  });

  it('streams with include_usage forced, whatever stream_options says', () => {
    const { chat, stream } = translate({ stream: true, stream_options: { include_obfuscation: false } });
    assert.equal(stream, true);
    assert.equal(chat.stream, true);
    assert.deepEqual(chat.stream_options, { include_usage: true });
    assert.equal(translate({ stream: false }).chat.stream, undefined);
  });

  it('refuses wrong types and values, naming the field', () => {
    rejects({ temperature: 'hot' }, 'SB_INVALID_REQUEST', 'temperature');
    rejects({ top_p: '1' }, 'SB_INVALID_REQUEST', 'top_p');
    rejects({ max_output_tokens: 0 }, 'SB_INVALID_REQUEST', 'max_output_tokens');
    rejects({ max_output_tokens: 1.5 }, 'SB_INVALID_REQUEST', 'max_output_tokens');
    rejects({ user: 42 }, 'SB_INVALID_REQUEST', 'user');
    rejects({ metadata: { run: 7 } }, 'SB_INVALID_REQUEST', 'metadata.run');
    rejects({ metadata: 'x' }, 'SB_INVALID_REQUEST', 'metadata');
    rejects({ stream: 'yes' }, 'SB_INVALID_REQUEST', 'stream');
    rejects({ store: 1 }, 'SB_INVALID_REQUEST', 'store');
    rejects({ parallel_tool_calls: 'no' }, 'SB_INVALID_REQUEST', 'parallel_tool_calls');
    rejects({ service_tier: 'gold' }, 'SB_INVALID_REQUEST', 'service_tier');
    rejects({ truncation: 'sometimes' }, 'SB_INVALID_REQUEST', 'truncation');
    rejects({ reasoning: { effort: 'extreme' } }, 'SB_INVALID_REQUEST', 'reasoning.effort');
    rejects({ reasoning: { summary: 'long' } }, 'SB_INVALID_REQUEST', 'reasoning.summary');
    rejects({ reasoning: 'high' }, 'SB_INVALID_REQUEST', 'reasoning');
    rejects({ text: { verbosity: 'chatty' } }, 'SB_INVALID_REQUEST', 'text.verbosity');
    rejects({ model: 4 }, 'SB_INVALID_REQUEST', 'model');
    rejects({ input: 42 }, 'SB_INVALID_REQUEST', 'input');
    rejects({ input: [] }, 'SB_INVALID_REQUEST', 'input', /required/);
    rejects({ input: undefined }, 'SB_INVALID_REQUEST', 'input');
    rejects({ stream_options: 'x' }, 'SB_INVALID_REQUEST', 'stream_options');
    assert.throws(() => responsesToChatRequest([] as unknown as ResponsesRequest, { model: MODEL }), (err: unknown) => err instanceof GatewayError && err.param === 'body');
  });

  it('refuses what only OpenAI\'s own service has', () => {
    rejects({ background: true }, 'SB_UNSUPPORTED_PARAMETER', 'background');
    rejects({ conversation: 'conv_1' }, 'SB_UNSUPPORTED_PARAMETER', 'conversation');
    rejects({ prompt: { id: 'pmpt_1' } }, 'SB_UNSUPPORTED_PARAMETER', 'prompt');
    rejects({ max_tool_calls: 3 }, 'SB_UNSUPPORTED_PARAMETER', 'max_tool_calls');
    rejects({ context_management: [{ type: 'compaction' }] }, 'SB_UNSUPPORTED_PARAMETER', 'context_management');
    rejects({ include: ['message.output_text.logprobs'] }, 'SB_UNSUPPORTED_PARAMETER', 'include[0]');
    rejects({ top_logprobs: 5 }, 'SB_UNSUPPORTED_PARAMETER', 'top_logprobs');
    rejects({ include: ['reasoning.encrypted_content', 'everything'] }, 'SB_INVALID_REQUEST', 'include[1]');
    // Values that ask for nothing pass.
    assert.doesNotThrow(() => translate({ background: false, conversation: null, top_logprobs: 0, include: ['reasoning.encrypted_content'], context_management: [] }));
  });

  it('takes reasoning.summary (or the deprecated generate_summary) into the echo only', () => {
    assert.deepEqual(translate({ reasoning: { effort: 'low', summary: 'auto' } }).echo.reasoning, { effort: 'low', summary: 'auto' });
    assert.deepEqual(translate({ reasoning: { generate_summary: 'concise' } }).echo.reasoning, { effort: null, summary: 'concise' });
    assert.equal(translate({ reasoning: { summary: 'auto' } }).chat.reasoning_effort, undefined);
  });
});

describe('responsesToChatRequest: text.format', () => {
  it('turns json_schema into response_format json_schema', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };
    const { chat, echo } = translate({ text: { format: { type: 'json_schema', name: 'person', schema, strict: true, description: 'A person' } } });
    assert.deepEqual(chat.response_format, { type: 'json_schema', json_schema: { name: 'person', schema, description: 'A person', strict: true } });
    assert.deepEqual(echo.text, { format: { type: 'json_schema', name: 'person', schema, description: 'A person', strict: true } });
  });

  it('turns json_object into response_format json_object, and sends nothing for text', () => {
    assert.deepEqual(translate({ text: { format: { type: 'json_object' } } }).chat.response_format, { type: 'json_object' });
    assert.equal(translate({ text: { format: { type: 'text' } } }).chat.response_format, undefined);
  });

  it('refuses malformed formats', () => {
    rejects({ text: { format: { type: 'json_schema', schema: {} } } }, 'SB_INVALID_REQUEST', 'text.format.name');
    rejects({ text: { format: { type: 'json_schema', name: 'x' } } }, 'SB_INVALID_REQUEST', 'text.format.schema');
    rejects({ text: { format: { type: 'json_schema', name: 'x', schema: {}, strict: 'yes' } } }, 'SB_INVALID_REQUEST', 'text.format.strict');
    rejects({ text: { format: { type: 'yaml' } } }, 'SB_INVALID_REQUEST', 'text.format.type');
    rejects({ text: 'json' }, 'SB_INVALID_REQUEST', 'text');
  });
});

describe('responsesToChatRequest: tools', () => {
  it('nests function tools under function, strict only when the caller set it', () => {
    const { chat, echo } = translate({ tools: [WEATHER, { type: 'function', name: 'now', strict: true }] });
    assert.deepEqual(chat.tools, [
      { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: WEATHER.parameters } },
      { type: 'function', function: { name: 'now', strict: true } },
    ]);
    assert.deepEqual(echo.tools[1], { type: 'function', description: null, name: 'now', parameters: null, strict: true });
  });

  it('refuses built-in tools, naming the tool', () => {
    for (const type of ['web_search', 'web_search_preview', 'file_search', 'code_interpreter', 'computer_use_preview', 'image_generation', 'mcp', 'local_shell', 'shell', 'apply_patch', 'custom']) {
      rejects({ tools: [WEATHER, { type }] }, 'SB_UNSUPPORTED_PARAMETER', 'tools[1].type', new RegExp(`"${type}"`));
    }
  });

  it('refuses malformed tools', () => {
    rejects({ tools: {} }, 'SB_INVALID_REQUEST', 'tools');
    rejects({ tools: ['get_weather'] }, 'SB_INVALID_REQUEST', 'tools[0]');
    rejects({ tools: [{ name: 'x' }] }, 'SB_INVALID_REQUEST', 'tools[0].type');
    rejects({ tools: [{ type: 'function' }] }, 'SB_INVALID_REQUEST', 'tools[0].name');
    rejects({ tools: [{ type: 'function', name: 'x', parameters: 'none' }] }, 'SB_INVALID_REQUEST', 'tools[0].parameters');
    rejects({ tools: [{ type: 'function', name: 'x', strict: 'yes' }] }, 'SB_INVALID_REQUEST', 'tools[0].strict');
    rejects({ tools: [{ type: 'function', name: 'x', description: 5 }] }, 'SB_INVALID_REQUEST', 'tools[0].description');
  });

  it('maps every tool_choice form', () => {
    const tools = [WEATHER];
    for (const choice of ['auto', 'none', 'required'] as const) assert.equal(translate({ tools, tool_choice: choice }).chat.tool_choice, choice);
    assert.deepEqual(translate({ tools, tool_choice: { type: 'function', name: 'get_weather' } }).chat.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    const allowed = translate({ tools, tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }] } });
    assert.deepEqual(allowed.chat.tool_choice, { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] } });
    assert.deepEqual(allowed.echo.tool_choice, { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'get_weather' }] });
  });

  it('leaves tool_choice and parallel_tool_calls out without tools (chat rejects them), echoing them still', () => {
    const { chat, echo } = translate({ tool_choice: 'none', parallel_tool_calls: false });
    assert.deepEqual(chat, { model: MODEL, messages: [{ role: 'user', content: 'Hello' }] });
    assert.deepEqual([echo.tool_choice, echo.parallel_tool_calls], ['none', false]);
    assert.equal(translate({ tools: [WEATHER], parallel_tool_calls: false }).chat.parallel_tool_calls, false);
  });

  it('refuses tool choices that name no given function, or a built-in tool', () => {
    rejects({ tools: [WEATHER], tool_choice: { type: 'function', name: 'get_time' } }, 'SB_INVALID_REQUEST', 'tool_choice.name');
    rejects({ tool_choice: 'required' }, 'SB_INVALID_REQUEST', 'tool_choice');
    rejects({ tools: [WEATHER], tool_choice: { type: 'web_search_preview' } }, 'SB_UNSUPPORTED_PARAMETER', 'tool_choice.type', /web_search_preview/);
    rejects({ tools: [WEATHER], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [{ type: 'mcp', server_label: 'x' }] } }, 'SB_UNSUPPORTED_PARAMETER', 'tool_choice.tools[0].type');
    rejects({ tools: [WEATHER], tool_choice: { type: 'allowed_tools', mode: 'sometimes', tools: [] } }, 'SB_INVALID_REQUEST', 'tool_choice.mode');
    rejects({ tools: [WEATHER], tool_choice: 'always' }, 'SB_INVALID_REQUEST', 'tool_choice');
  });
});

describe('responsesToChatRequest: messages', () => {
  it('maps message items of every role; developer becomes system', () => {
    const { chat } = translate({ input: [
      { type: 'message', role: 'developer', content: 'Use metric units.' },
      { role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }, { type: 'input_text', text: 'Be kind.' }] },
      { role: 'user', content: 'What is the weather?' },
      { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', phase: 'final_answer', content: [{ type: 'output_text', text: 'Where?', annotations: [] }] },
      user([{ type: 'input_text', text: 'Paris' }]),
    ] });
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'Use metric units.' },
      { role: 'system', content: 'Be brief.\nBe kind.' },
      { role: 'user', content: 'What is the weather?' },
      { role: 'assistant', content: 'Where?' },
      { role: 'user', content: 'Paris' },
    ]);
  });

  it('turns input_image into image_url parts with their detail, and input_file into file parts', () => {
    const { chat } = translate({ input: [user([
      { type: 'input_text', text: 'What is in these?' },
      { type: 'input_image', image_url: PNG, detail: 'low' },
      { type: 'input_image', image_url: 'https://example.com/cat.jpg', detail: 'original' },
      { type: 'input_image', image_url: 'https://example.com/dog.jpg' },
      { type: 'input_file', file_data: PDF, filename: 'report.pdf' },
    ])] });
    assert.deepEqual(chat.messages[0]!.content, [
      { type: 'text', text: 'What is in these?' },
      { type: 'image_url', image_url: { url: PNG, detail: 'low' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/dog.jpg' } },
      { type: 'file', file: { file_data: PDF, filename: 'report.pdf' } },
    ]);
  });

  it('refuses OpenAI file ids and file URLs, naming the part', () => {
    rejects({ input: [user([{ type: 'input_text', text: 'x' }, { type: 'input_image', file_id: 'file-abc', detail: 'auto' }])] }, 'SB_UNSUPPORTED_PARAMETER', 'input[0].content[1].file_id');
    rejects({ input: [user([{ type: 'input_file', file_id: 'file-abc' }])] }, 'SB_UNSUPPORTED_PARAMETER', 'input[0].content[0].file_id');
    rejects({ input: [user([{ type: 'input_file', file_url: 'https://example.com/a.pdf' }])] }, 'SB_UNSUPPORTED_PARAMETER', 'input[0].content[0].file_url');
  });

  it('refuses malformed messages and parts with the dotted path', () => {
    rejects({ input: ['Hello'] }, 'SB_INVALID_REQUEST', 'input[0]');
    rejects({ input: [{ role: 'tool', content: 'x' }] }, 'SB_INVALID_REQUEST', 'input[0].role');
    rejects({ input: [user(5)] }, 'SB_INVALID_REQUEST', 'input[0].content');
    rejects({ input: [user(['x'])] }, 'SB_INVALID_REQUEST', 'input[0].content[0]');
    rejects({ input: [user('a'), user([{ type: 'input_text', text: 'x' }, { type: 'input_audio', input_audio: {} }])] }, 'SB_INVALID_REQUEST', 'input[1].content[1].type');
    rejects({ input: [user([{ type: 'input_text', text: 5 }])] }, 'SB_INVALID_REQUEST', 'input[0].content[0].text');
    rejects({ input: [user([{ type: 'input_image' }])] }, 'SB_INVALID_REQUEST', 'input[0].content[0].image_url');
    rejects({ input: [user([{ type: 'input_image', image_url: PNG, detail: 'ultra' }])] }, 'SB_INVALID_REQUEST', 'input[0].content[0].detail');
    rejects({ input: [user([{ type: 'input_file', filename: 'a.pdf' }])] }, 'SB_INVALID_REQUEST', 'input[0].content[0].file_data');
    rejects({ input: [user([{ type: 'output_text', text: 'x' }])] }, 'SB_INVALID_REQUEST', 'input[0].content[0].type', /assistant messages/);
    rejects({ input: [user('q'), { role: 'assistant', content: [{ type: 'input_text', text: 'x' }] }] }, 'SB_INVALID_REQUEST', 'input[1].content[0].type', /assistant messages take output_text and refusal/);
    rejects({ input: [{ role: 'system', content: [{ type: 'input_image', image_url: PNG }] }, user('x')] }, 'SB_UNSUPPORTED_PARAMETER', 'input[0].content[0].type');
    rejects({ input: [{ content: 'x' }] }, 'SB_INVALID_REQUEST', 'input[0].type');
  });

  it('refuses hosted-tool items as unsupported and unknown items as invalid', () => {
    rejects({ input: [user('x'), { type: 'web_search_call', id: 'ws_1', status: 'completed' }] }, 'SB_UNSUPPORTED_PARAMETER', 'input[1].type', /web_search_call/);
    rejects({ input: [user('x'), { type: 'mcp_call', id: 'mcp_1' }] }, 'SB_UNSUPPORTED_PARAMETER', 'input[1].type');
    rejects({ input: [user('x'), { type: 'telepathy' }] }, 'SB_INVALID_REQUEST', 'input[1].type');
  });

  it('keeps a refusal in an assistant turn as its text', () => {
    const { chat } = translate({ input: [user('Do it'), { role: 'assistant', content: [{ type: 'refusal', refusal: "I can't." }] }, user('Why?')] });
    assert.deepEqual(chat.messages[1], { role: 'assistant', content: "I can't." });
  });
});

describe('responsesToChatRequest: function calls', () => {
  it('makes consecutive function_calls one assistant message, joined to the text before them', () => {
    const { chat } = translate({ tools: [WEATHER], input: [
      user('Weather in Paris and Oslo?'),
      { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA…' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking both.', annotations: [] }] },
      { ...call('call_1'), id: 'fc_1', status: 'completed' },
      { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'Now Oslo.' }] },
      call('call_2', 'get_weather', '{"city":"Oslo"}'),
      output('call_1'),
      output('call_2', '{"temp_c":9}'),
    ] });
    assert.deepEqual(chat.messages, [
      { role: 'user', content: 'Weather in Paris and Oslo?' },
      { role: 'assistant', content: 'Checking both.', tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp_c":18}' },
      { role: 'tool', tool_call_id: 'call_2', content: '{"temp_c":9}' },
    ]);
  });

  it('joins text written after the calls to the same assistant message', () => {
    const { chat } = translate({ input: [user('x'), call('call_1'), { role: 'assistant', content: 'One moment.' }, output('call_1')] });
    assert.deepEqual(chat.messages.map((m) => [m.role, m.content, m.tool_calls?.length]), [['user', 'x', undefined], ['assistant', 'One moment.', 1], ['tool', '{"temp_c":18}', undefined]]);
  });

  it('runs a multi-turn function-tool loop from history', () => {
    // Turn 1: the user asks, the model calls the tool (its output as chatToResponsesResponse made it).
    const first = translate({ tools: [WEATHER], input: 'Weather in Paris?' });
    const completion = {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }, logprobs: null, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    } as unknown as OpenAIChatCompletion;
    const answer = chatToResponsesResponse(completion, { id: 'resp_1', createdAt: 1, model: MODEL, echo: first.echo });
    const history = [...first.input, ...answer.output];
    // Turn 2: the caller sends the tool output, continuing resp_1.
    const second = translate({ tools: [WEATHER], previous_response_id: 'resp_1', instructions: 'Be brief.', input: [output('call_9')] }, { history });
    assert.deepEqual(second.chat.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_9', content: '{"temp_c":18}' },
    ]);
    assert.deepEqual(second.input, [output('call_9')]);
    // Turn 3: a follow-up question after the model's final answer.
    const third = translate({ previous_response_id: 'resp_2', input: 'And tomorrow?' }, { history: [...history, ...second.input, { type: 'message', id: 'msg_2', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: '18 °C.', annotations: [] }] }] });
    assert.deepEqual(third.chat.messages.slice(-2), [{ role: 'assistant', content: '18 °C.' }, { role: 'user', content: 'And tomorrow?' }]);
  });

  it('refuses an output whose call_id no earlier function_call has', () => {
    rejects({ input: [user('a'), call('call_1'), output('call_1'), output('call_7')] }, 'SB_INVALID_REQUEST', 'input[3].call_id', /call_7/);
    rejects({ input: [output('call_1'), call('call_1')] }, 'SB_INVALID_REQUEST', 'input[0].call_id');
  });

  it('refuses a function_call that no output answers', () => {
    rejects({ input: [user('a'), call('call_1'), call('call_2'), output('call_1')] }, 'SB_INVALID_REQUEST', 'input[2].call_id', /call_2/);
  });

  it('refuses malformed calls and outputs', () => {
    rejects({ input: [user('a'), { type: 'function_call', name: 'x', arguments: '{}' }] }, 'SB_INVALID_REQUEST', 'input[1].call_id');
    rejects({ input: [user('a'), { type: 'function_call', call_id: 'c', arguments: '{}' }] }, 'SB_INVALID_REQUEST', 'input[1].name');
    rejects({ input: [user('a'), { type: 'function_call', call_id: 'c', name: 'x', arguments: { city: 'Paris' } }] }, 'SB_INVALID_REQUEST', 'input[1].arguments');
    rejects({ input: [user('a'), call('c'), output('c', 42)] }, 'SB_INVALID_REQUEST', 'input[2].output');
    rejects({ input: [user('a'), call('c'), output('c', [{ type: 'output_text', text: 'x' }])] }, 'SB_INVALID_REQUEST', 'input[2].output[0].type');
  });

  it('sends a tool output\'s text as the tool message and its images in a user message after the tool messages', () => {
    const { chat } = translate({ input: [
      user('Screenshot both'), call('c1', 'shot', '{}'), call('c2', 'shot', '{}'),
      output('c1', [{ type: 'input_text', text: 'Page one' }, { type: 'input_image', image_url: PNG }]),
      output('c2', [{ type: 'input_text', text: 'Page two' }]),
      user('Compare them'),
    ] });
    assert.deepEqual(chat.messages.slice(2), [
      { role: 'tool', tool_call_id: 'c1', content: 'Page one' },
      { role: 'tool', tool_call_id: 'c2', content: 'Page two' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: PNG } }] },
      { role: 'user', content: 'Compare them' },
    ]);
  });
});

describe('responsesToChatRequest: history and item references', () => {
  const HISTORY = [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hi' }] },
    { type: 'reasoning', id: 'rs_old', summary: [] },
    { id: 'msg_old', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [], logprobs: [] }] },
  ];

  it('puts history before the input, after the instructions, and drops its reasoning', () => {
    const { chat } = translate({ instructions: 'Be brief.', input: 'How are you?' }, { history: HISTORY });
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'How are you?' },
    ]);
  });

  it('names previous_response_id when a stored item cannot be sent', () => {
    rejects({}, 'SB_INVALID_REQUEST', 'previous_response_id', /history\[0\]\.role/, { history: [{ type: 'message', role: 'robot', content: 'x' }] });
    rejects({}, 'SB_UNSUPPORTED_PARAMETER', 'previous_response_id', /history\[1\]\.type/, { history: [user('x'), { type: 'web_search_call', id: 'ws_1' }] });
  });

  it('resolves item references from the conversation, then from resolveItem', () => {
    const stored: Json = { id: 'msg_stored', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Stored answer', annotations: [] }] };
    const { chat, input } = translate({ input: [{ type: 'item_reference', id: 'msg_old' }, { id: 'msg_stored' }, user('Go on')] }, { history: HISTORY, resolveItem: (id) => (id === 'msg_stored' ? stored : undefined) });
    assert.deepEqual(chat.messages.slice(2), [{ role: 'assistant', content: 'Hello!' }, { role: 'assistant', content: 'Stored answer' }, { role: 'user', content: 'Go on' }]);
    assert.deepEqual(input, [HISTORY[2], stored, user('Go on')]);
  });

  it('drops references to reasoning items it does not know (reasoning is dropped anyway), refuses other unknown ones', () => {
    const { chat, input } = translate({ input: [user('a'), { type: 'item_reference', id: 'rs_unknown' }, { role: 'assistant', content: 'b' }, user('c')] });
    assert.equal(chat.messages.length, 3);
    assert.equal(input.length, 3);
    rejects({ input: [user('a'), { type: 'item_reference', id: 'msg_unknown' }] }, 'SB_INVALID_REQUEST', 'input[1].id', /msg_unknown/);
    rejects({ input: [user('a'), { type: 'item_reference' }] }, 'SB_INVALID_REQUEST', 'input[1].id');
    rejects({ input: [user('a'), { type: 'item_reference', id: 'ref' }] }, 'SB_INVALID_REQUEST', 'input[1].id', /item_reference/, { resolveItem: () => ({ type: 'item_reference', id: 'other' }) });
  });
});

describe('responsesToChatRequest: lenient, for a request whose target is not chosen yet', () => {
  const lenient = (body: Json, options: Partial<ResponsesToChatOptions> = {}) => translate(body, { lenient: true, ...options });
  const refusalOf = (body: Json, options: Partial<ResponsesToChatOptions> = {}) => lenient(body, options).refusal;

  it('keeps what only OpenAI can do out of the chat and reports the first refusal, as strict mode would have thrown it', () => {
    const { chat, refusal } = lenient({ tools: [WEATHER, { type: 'web_search' }], tool_choice: 'auto', include: ['web_search_call.action.sources'] });
    assert.deepEqual(chat.tools?.map((t) => t.function.name), ['get_weather']);
    assert.ok(refusal instanceof GatewayError);
    assert.equal(refusal.code, 'SB_UNSUPPORTED_PARAMETER');
    assert.equal(refusal.param, 'tools[1].type');
    assert.equal(refusalOf({ background: true, tools: [{ type: 'web_search' }] })?.param, 'background');
    assert.equal(refusalOf({ tool_choice: { type: 'web_search' }, tools: [{ type: 'web_search' }] })?.param, 'tools[0].type');
    assert.equal(refusalOf({ tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }], tool_choice: 'required' })?.param, 'tools[0].type', '"required" may ask for the built-in tool');
    assert.equal(refusalOf({ input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }, { type: 'input_text', text: 'Sum it up' }] }] })?.param, 'input[0].content[0].file_id');
    assert.equal(refusalOf({ top_logprobs: 2 })?.param, 'top_logprobs');
    assert.equal(refusalOf({}), undefined);
    assert.equal(lenient({}).resolvedFromStore, false);
  });

  it('keeps the items of built-in tools in the stored input, as the caller wrote them', () => {
    const search = { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'news' } };
    const { chat, input, refusal } = lenient({ input: [user('What is new?'), search, { role: 'assistant', content: 'Not much.' }, user('Thanks')] });
    assert.deepEqual(chat.messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(input[1], search);
    assert.equal(refusal?.param, 'input[1].type');
  });

  it('keeps a reference it cannot resolve (an item of OpenAI\'s own) as the reference, and the outputs of calls behind one', () => {
    const reference = { type: 'item_reference', id: 'fc_0a6f2c9e41d7b3580068e1c2b8e5f1a3c7d9b2e4f6a8c0d1' };
    const output = { type: 'function_call_output', call_id: 'call_behind_the_reference', output: '18°C' };
    const { chat, input, refusal } = lenient({ input: [user('Weather in Paris?'), reference, output] });
    assert.deepEqual(input, [user('Weather in Paris?'), reference, output]);
    assert.deepEqual(chat.messages, [{ role: 'user', content: 'Weather in Paris?' }]);
    assert.equal(refusal?.code, 'SB_INVALID_REQUEST');
    assert.equal(refusal?.param, 'input[1].id');
    assert.equal(lenient({ input: [reference] }).refusal?.param, 'input[0].id', 'an input of nothing but the reference is an input');
  });

  it('says when a reference was resolved from the gateway\'s store, which an upstream speaking the API cannot do itself', () => {
    const stored: Json = { id: 'msg_stored', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Stored answer', annotations: [] }] };
    const resolveItem = (id: string) => (id === 'msg_stored' ? stored : undefined);
    assert.equal(lenient({ input: [user('a'), { type: 'item_reference', id: 'msg_stored' }, user('b')] }, { resolveItem }).resolvedFromStore, true);
    const inConversation = lenient({ input: [user('a'), { id: 'msg_a', type: 'message', role: 'assistant', content: 'b' }, { type: 'item_reference', id: 'msg_a' }, user('c')] }, { resolveItem });
    assert.equal(inConversation.resolvedFromStore, false);
  });

  it('still throws malformed input at once', () => {
    rejects({ input: [{ type: 'telepathy' }], tools: [{ type: 'web_search' }] }, 'SB_INVALID_REQUEST', 'input[0].type', undefined, { lenient: true });
    rejects({ input: [{ type: 'function_call_output', call_id: 'call_nowhere', output: '1' }] }, 'SB_INVALID_REQUEST', 'input[0].call_id', undefined, { lenient: true });
    rejects({ tools: [WEATHER], tool_choice: { type: 'function', name: 'get_time' } }, 'SB_INVALID_REQUEST', 'tool_choice.name', undefined, { lenient: true });
  });
});
