import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import { chatToResponsesResponse } from './chat-to-responses-response.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import { mintResponsesId } from './responses-ids.ts';
import { responsesToChatRequest } from './responses-to-chat-request.ts';
import { responsesUsage } from './responses-usage.ts';

type Json = Record<string, any>;

function completion(message: Json, finish = 'stop', extra: Json = {}): OpenAIChatCompletion {
  return {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', content: null, refusal: null, annotations: [], ...message }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 64 } },
    service_tier: 'default',
    ...extra,
  } as unknown as OpenAIChatCompletion;
}

const { echo } = responsesToChatRequest({
  input: 'Hi', instructions: 'Be brief.', temperature: 0.2, max_output_tokens: 500, metadata: { run: '7' }, user: 'u-1', store: false,
  tools: [{ type: 'function', name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
  tool_choice: 'required', text: { format: { type: 'json_object' } }, reasoning: { effort: 'low', summary: 'auto' }, previous_response_id: 'resp_prev',
}, { model: 'gpt-4.1', history: [{ type: 'message', role: 'user', content: 'Earlier' }] });
const OPTIONS = { id: 'resp_0123456789abcdef0123456789abcdef0123456789abcdef', createdAt: 1741569950, model: 'gpt-4.1', echo };

const translate = (c: OpenAIChatCompletion): Json => chatToResponsesResponse(c, OPTIONS);

describe('chatToResponsesResponse: the Response object', () => {
  it('builds the whole Response, fields in the SDK type\'s order, with the request echoed', () => {
    const out = translate(completion({ content: 'Hello!' }));
    assert.deepEqual(Object.keys(out), [
      'id', 'created_at', 'error', 'incomplete_details', 'instructions', 'metadata', 'model', 'object', 'output', 'parallel_tool_calls',
      'temperature', 'tool_choice', 'tools', 'top_p', 'background', 'completed_at', 'max_output_tokens', 'previous_response_id',
      'prompt_cache_key', 'reasoning', 'safety_identifier', 'service_tier', 'status', 'store', 'text', 'top_logprobs', 'truncation', 'usage', 'user',
    ]);
    const itemId = out.output[0].id;
    assert.match(itemId, /^msg_[0-9a-f]{52}$/);
    assert.ok(out.completed_at >= 1741569950);
    assert.deepEqual(out, {
      id: OPTIONS.id,
      created_at: 1741569950,
      error: null,
      incomplete_details: null,
      instructions: 'Be brief.',
      metadata: { run: '7' },
      model: 'gpt-4.1',
      object: 'response',
      output: [{ id: itemId, type: 'message', status: 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Hello!' }], role: 'assistant' }],
      parallel_tool_calls: true,
      temperature: 0.2,
      tool_choice: 'required',
      tools: [{ type: 'function', description: 'Weather now', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true }],
      top_p: null,
      background: false,
      completed_at: out.completed_at,
      max_output_tokens: 500,
      previous_response_id: 'resp_prev',
      prompt_cache_key: null,
      reasoning: { effort: 'low', summary: 'auto' },
      safety_identifier: null,
      service_tier: 'auto',
      status: 'completed',
      store: false,
      text: { format: { type: 'json_object' } },
      top_logprobs: 0,
      truncation: 'disabled',
      usage: { input_tokens: 2006, input_tokens_details: { cached_tokens: 1920, cache_write_tokens: 0 }, output_tokens: 300, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 2306 },
      user: 'u-1',
    });
  });

  it('has no output_text: the SDKs compute it, the API does not send it', () => {
    assert.equal('output_text' in translate(completion({ content: 'Hello!' })), false);
  });

  it('maps usage: prompt tokens (cached ones included) to input_tokens, cache writes and reasoning kept, total recomputed', () => {
    const out = translate(completion({ content: 'x' }, 'stop', { usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 999, prompt_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 5 } } }));
    assert.deepEqual(out.usage, { input_tokens: 100, input_tokens_details: { cached_tokens: 30, cache_write_tokens: 10 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120 });
    assert.deepEqual(translate(completion({ content: 'x' }, 'stop', { usage: undefined })).usage, responsesUsage({ inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }));
  });

  it('refuses a completion without choices as a bad upstream response', () => {
    assert.throws(() => translate({ id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [] } as OpenAIChatCompletion), (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_BAD_RESPONSE');
  });
});

describe('chatToResponsesResponse: output items', () => {
  it('turns tool calls into function_call items with the chat id as call_id, after the text', () => {
    const out = translate(completion({
      content: 'Checking both.',
      tool_calls: [
        { id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tōkyō"}' } },
      ],
    }, 'tool_calls'));
    assert.equal(out.status, 'completed');
    assert.deepEqual(out.output.map((item: Json) => item.type), ['message', 'function_call', 'function_call']);
    assert.match(out.output[1].id, /^fc_[0-9a-f]{52}$/);
    assert.deepEqual(out.output[1], { id: out.output[1].id, type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', name: 'get_weather' });
    assert.equal(out.output[2].call_id, 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs');
    assert.notEqual(out.output[1].id, out.output[2].id);
  });

  it('writes only function_call items when there is no text, "{}" for empty arguments, a minted call_id when none came', () => {
    const out = translate(completion({ content: '', tool_calls: [{ type: 'function', function: { name: 'now', arguments: '' } }] }, 'tool_calls'));
    assert.equal(out.output.length, 1);
    assert.equal(out.output[0].arguments, '{}');
    assert.match(out.output[0].call_id, /^call_/);
  });

  it('turns a refusal into a refusal part', () => {
    const out = translate(completion({ content: null, refusal: "I can't help with that." }));
    assert.deepEqual(out.output[0].content, [{ type: 'refusal', refusal: "I can't help with that." }]);
  });

  it('turns reasoning_content (or reasoning) into a reasoning item with a summary_text, first', () => {
    const out = translate(completion({ content: '42.', reasoning_content: 'Units 12, carry 1.' }));
    assert.match(out.output[0].id, /^rs_[0-9a-f]{52}$/);
    assert.deepEqual(out.output[0], { id: out.output[0].id, type: 'reasoning', summary: [{ type: 'summary_text', text: 'Units 12, carry 1.' }] });
    assert.equal(out.output[1].type, 'message');
    assert.equal(translate(completion({ content: 'ok', reasoning: 'hmm' })).output[0].type, 'reasoning');
  });

  it('reads content given as an array of text parts', () => {
    const out = translate(completion({ content: [{ type: 'text', text: 'Hel' }, { type: 'text', text: 'lo' }] }));
    assert.equal(out.output[0].content[0].text, 'Hello');
  });

  it('gives no output for an empty answer', () => {
    assert.deepEqual(translate(completion({ content: '' })).output, []);
  });
});

describe('chatToResponsesResponse: incomplete answers', () => {
  it('makes finish_reason length an incomplete response for max_output_tokens, the last item with it', () => {
    const out = translate(completion({ content: 'Once upon a' }, 'length'));
    assert.equal(out.status, 'incomplete');
    assert.deepEqual(out.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(out.completed_at, null);
    assert.equal(out.output[0].status, 'incomplete');
  });

  it('makes content_filter an incomplete response for content_filter', () => {
    const out = translate(completion({ content: 'Part' }, 'content_filter'));
    assert.deepEqual([out.status, out.incomplete_details], ['incomplete', { reason: 'content_filter' }]);
  });

  it('leaves reasoning items without a status when they were cut short', () => {
    const out = translate(completion({ content: null, reasoning_content: 'Thinking and thinking' }, 'length'));
    assert.deepEqual(Object.keys(out.output[0]), ['id', 'type', 'summary']);
  });
});

describe('mintResponsesId', () => {
  it('makes the API\'s prefixed ids from 48 random hex digits', () => {
    for (const kind of ['resp', 'msg', 'fc', 'rs'] as const) assert.match(mintResponsesId(kind), new RegExp(`^${kind}_[0-9a-f]{48}$`));
    assert.notEqual(mintResponsesId('resp'), mintResponsesId('resp'));
  });
});
