import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import { openaiToAnthropicResponse } from './openai-to-anthropic-response.ts';
import { toAnthropicToolId } from './tool-call-id.ts';

function completion(message: Record<string, unknown>, extra: Record<string, unknown> = {}): OpenAIChatCompletion {
  return {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant', refusal: null, annotations: [], ...message }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 19, completion_tokens: 10, total_tokens: 29, prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
    service_tier: 'default',
    ...extra,
  } as unknown as OpenAIChatCompletion;
}

function withFinish(c: OpenAIChatCompletion, finish: string): OpenAIChatCompletion {
  return { ...c, choices: [{ ...c.choices[0]!, finish_reason: finish }] } as OpenAIChatCompletion;
}

const translate = (c: OpenAIChatCompletion) => openaiToAnthropicResponse(c, { model: 'gpt-4.1' });

describe('openaiToAnthropicResponse', () => {
  it('builds an Anthropic message', () => {
    assert.deepEqual(translate(completion({ content: 'Hello there, how may I assist you today?' })), {
      id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Hello there, how may I assist you today?' }],
      model: 'gpt-4.1',
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 19, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it('turns parallel tool calls into tool_use blocks with parsed input', () => {
    const out = translate(withFinish(completion({
      content: null,
      tool_calls: [
        { id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tōkyō"}' } },
      ],
    }), 'tool_calls'));
    assert.equal(out.stop_reason, 'tool_use');
    assert.deepEqual(out.content, [
      { type: 'tool_use', id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', name: 'get_weather', input: { city: 'Tōkyō' } },
    ]);
  });

  it('never emits an empty text block for content "" or null', () => {
    const call = { id: 'call_1', type: 'function', function: { name: 'now', arguments: '{}' } };
    for (const content of ['', null, '  \n', undefined]) {
      const out = translate(completion({ content, tool_calls: [call] }));
      assert.deepEqual(out.content.map((b) => b.type), ['tool_use'], JSON.stringify(content));
    }
    assert.deepEqual(translate(completion({ content: '' })).content, []);
  });

  it('parses arguments with a fallback for invalid JSON and "" (tools without args)', () => {
    const out = translate(completion({
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'broken', arguments: '{"q": "unterminated' } },
        { id: 'call_2', type: 'function', function: { name: 'no_args', arguments: '' } },
      ],
    }));
    assert.deepEqual(out.content.map((b) => (b as { input: unknown }).input), [{ rawInvalidInput: '{"q": "unterminated' }, {}]);
  });

  it('sanitizes foreign tool ids and mints missing ones', () => {
    const out = translate(completion({
      content: null,
      tool_calls: [
        { id: 'functions.Bash:0', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
        { type: 'function', function: { name: 'Bash', arguments: '{"command":"pwd"}' } },
      ],
    }));
    const ids = out.content.map((b) => (b as { id: string }).id);
    assert.equal(ids[0], toAnthropicToolId('functions.Bash:0'));
    assert.match(ids[1]!, /^toolu_[0-9a-f]{32}$/);
    assert.ok(ids.every((id) => /^[a-zA-Z0-9_-]+$/.test(id)));
  });

  it('puts reasoning_content first as a thinking block, then text, then tools', () => {
    const out = translate(completion({
      content: '17 + 25 = 42.',
      reasoning_content: '17 + 25: units 12, carry 1, tens 4.',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'record', arguments: '{"value":42}' } }],
    }));
    assert.deepEqual(out.content, [
      { type: 'thinking', thinking: '17 + 25: units 12, carry 1, tens 4.', signature: '' },
      { type: 'text', text: '17 + 25 = 42.' },
      { type: 'tool_use', id: 'call_1', name: 'record', input: { value: 42 } },
    ]);
  });

  it('reads the `reasoning` field some servers use instead', () => {
    assert.deepEqual(translate(completion({ content: 'x', reasoning: 'because' })).content[0], { type: 'thinking', thinking: 'because', signature: '' });
  });

  it('turns a refusal into text and content_filter into refusal', () => {
    const out = translate(withFinish(completion({ content: null, refusal: "I'm sorry, I can't help with that." }), 'content_filter'));
    assert.deepEqual(out.content, [{ type: 'text', text: "I'm sorry, I can't help with that." }]);
    assert.equal(out.stop_reason, 'refusal');
  });

  it('reads content given as text parts by some compatible servers', () => {
    assert.deepEqual(translate(completion({ content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] })).content, [{ type: 'text', text: 'ab' }]);
  });

  it('maps finish reasons', () => {
    assert.equal(translate(withFinish(completion({ content: 'x' }), 'length')).stop_reason, 'max_tokens');
    assert.equal(translate(withFinish(completion({ content: 'x' }), 'function_call')).stop_reason, 'tool_use');
  });

  it('takes cached and written tokens out of input_tokens', () => {
    const usage = { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920, cache_write_tokens: 50 } };
    assert.deepEqual(translate(completion({ content: 'x' }, { usage })).usage, { input_tokens: 36, output_tokens: 300, cache_creation_input_tokens: 50, cache_read_input_tokens: 1920 });
  });

  it('reports zero usage when the upstream sent none', () => {
    assert.deepEqual(translate(completion({ content: 'x' }, { usage: undefined })).usage, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('rejects a body without choices[0].message', () => {
    for (const bad of [null, [], {}, { choices: [] }, { choices: [{ index: 0 }] }, { choices: 'x' }]) {
      assert.throws(() => translate(bad as unknown as OpenAIChatCompletion), (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_BAD_RESPONSE');
    }
  });

  it('survives garbage inside a valid envelope', () => {
    const out = translate(completion({ content: 42, tool_calls: [null, { function: 'x' }], reasoning_content: 7 }, { id: null }));
    assert.deepEqual(out.content.map((b) => b.type), ['tool_use', 'tool_use']);
    assert.match(out.id, /^msg_/);
  });
});
