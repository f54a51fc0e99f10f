import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnthropicToOpenAIStream, type AnthropicToOpenAIStreamOptions } from './anthropic-to-openai-stream.ts';
import { assertOpenAIProtocol } from './fixtures/protocol-checks.ts';
import { fixture, replay, truncateEvents } from './fixtures/replay.ts';
import { JSON_TOOL_NAME } from './json-response-tool.ts';
import { sseEncode } from '../../upstream/sse-parser.ts';

type Json = Record<string, any>;

function translate(name: string, options: Partial<AnthropicToOpenAIStreamOptions> = {}, chunkSize?: number) {
  const stream = new AnthropicToOpenAIStream({ model: 'claude-sonnet', includeUsage: true, ...options });
  const text = replay(stream, fixture(name), chunkSize);
  return { stream, text, payloads: assertOpenAIProtocol(text) };
}

const chunksOf = (payloads: Array<Json | '[DONE]'>): Json[] => payloads.filter((p): p is Json => p !== '[DONE]' && p.choices !== undefined);
const deltas = (payloads: Array<Json | '[DONE]'>): Json[] => chunksOf(payloads).flatMap((c) => c.choices.map((choice: Json) => choice.delta));
const content = (payloads: Array<Json | '[DONE]'>): string => deltas(payloads).map((d) => d.content ?? '').join('');

/** Rebuilds tool calls the way the OpenAI SDK's ChatCompletionStream does: by index. */
function toolCalls(payloads: Array<Json | '[DONE]'>): Array<{ id: string; name: string; arguments: string }> {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const call of deltas(payloads).flatMap((d) => d.tool_calls ?? [])) {
    if (call.id !== undefined) calls[call.index] = { id: call.id, name: call.function.name, arguments: '' };
    calls[call.index]!.arguments += call.function?.arguments ?? '';
  }
  return calls;
}

const finishReason = (payloads: Array<Json | '[DONE]'>): unknown => chunksOf(payloads).flatMap((c) => c.choices).find((c: Json) => c.finish_reason !== null)?.finish_reason;

describe('AnthropicToOpenAIStream: text', () => {
  it('streams a role chunk, text deltas, finish, usage and [DONE]', () => {
    const { payloads, stream } = translate('anthropic-text-cached.sse.txt');
    const chunks = chunksOf(payloads);
    assert.equal(chunks[0]!.id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
    assert.equal(chunks[0]!.object, 'chat.completion.chunk');
    assert.equal(chunks[0]!.model, 'claude-sonnet');
    assert.deepEqual(chunks[0]!.choices[0], { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null });
    assert.equal(content(payloads), 'Hello, wörld! 👋 你好');
    assert.equal(finishReason(payloads), 'stop');
    assert.equal(payloads.at(-1), '[DONE]');
    assert.equal(stream.finished, true);
    assert.equal(stream.failed, false);
  });

  it('sends usage with cache reads and writes in prompt_tokens, prompt + completion == total', () => {
    const { payloads, stream } = translate('anthropic-text-cached.sse.txt');
    const usageChunk = payloads.at(-2) as Json;
    assert.deepEqual(usageChunk.choices, []);
    assert.deepEqual(usageChunk.usage, { prompt_tokens: 4625, completion_tokens: 15, total_tokens: 4640, prompt_tokens_details: { cached_tokens: 3400, cache_write_tokens: 1200 } });
    assert.deepEqual(stream.usage, { inputTokens: 25, outputTokens: 15, cachedInputTokens: 3400, cacheWriteTokens: 1200, reasoningTokens: 0 });
  });

  it('omits the usage chunk unless the caller asked for it, but still tracks usage', () => {
    const { payloads, stream } = translate('anthropic-text-cached.sse.txt', { includeUsage: false });
    assert.equal(payloads.some((p) => p !== '[DONE]' && p.usage !== undefined), false);
    assert.equal(stream.usage.outputTokens, 15);
  });

  it('overwrites usage from message_delta instead of adding (43 → 61 input tokens)', () => {
    const { stream, payloads } = translate('anthropic-message-delta-input-tokens.sse.txt');
    assert.deepEqual(stream.usage, { inputTokens: 61, outputTokens: 20, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal((payloads.at(-2) as Json).usage.total_tokens, 81);
  });

  it('turns ping into an SSE comment that clients ignore', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: false });
    assert.equal(stream.push({ event: 'ping', data: '{"type": "ping"}' }), ': ping\n\n');
  });

  it('gives the same output whatever the chunking, down to one byte at a time', () => {
    const whole = translate('anthropic-text-cached.sse.txt').payloads;
    for (const size of [1, 2, 3, 7, 64]) {
      const { payloads } = translate('anthropic-text-cached.sse.txt', {}, size);
      assert.deepEqual(payloads.map((p) => (p === '[DONE]' ? p : { ...p, created: 0 })), whole.map((p) => (p === '[DONE]' ? p : { ...p, created: 0 })), `chunk size ${size}`);
    }
  });
});

describe('AnthropicToOpenAIStream: tool calls', () => {
  it('sends arguments "{}" for a tool without arguments', () => {
    const { payloads } = translate('anthropic-tool-no-args.sse.txt');
    assert.deepEqual(toolCalls(payloads), [{ id: 'toolu_01DBsB4vvYLnBDzZ5rBSxSLs', name: 'updateIssueList', arguments: '{}' }]);
    assert.equal(content(payloads), "I'll update the issue list");
    assert.equal(finishReason(payloads), 'tool_calls');
  });

  it('numbers parallel tool calls 0, 1 although their blocks are 1, 2 (Portkey#1275, LiteLLM)', () => {
    const { payloads } = translate('anthropic-parallel-tools.sse.txt');
    const starts = deltas(payloads).flatMap((d) => d.tool_calls ?? []).filter((c: Json) => c.id !== undefined);
    assert.deepEqual(starts.map((c: Json) => c.index), [0, 1]);
    assert.deepEqual(starts[0], { index: 0, id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '' } });
  });

  it('streams argument fragments that reassemble to the full JSON', () => {
    const { payloads } = translate('anthropic-parallel-tools.sse.txt');
    const calls = toolCalls(payloads);
    assert.deepEqual(calls.map((c) => JSON.parse(c.arguments)), [{ city: 'Paris', unit: 'c' }, { city: 'Tōkyō' }]);
    const fragments = deltas(payloads).flatMap((d) => d.tool_calls ?? []).filter((c: Json) => c.id === undefined);
    assert.deepEqual(fragments.map((c: Json) => c.function.arguments), ['{"city": "Par', 'is", "unit": "c"}', '{"city":', ' "Tōkyō"}']);
  });

  it('skips the empty partial_json Anthropic opens every tool with', () => {
    const { payloads } = translate('anthropic-parallel-tools.sse.txt');
    assert.ok(deltas(payloads).flatMap((d) => d.tool_calls ?? []).every((c: Json) => c.id !== undefined || c.function.arguments !== ''));
  });

  it('reassembles arguments when the upstream bytes are split at every position', () => {
    const sse = fixture('anthropic-parallel-tools.sse.txt');
    for (const size of [1, 5, 13, 50]) {
      const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
      const calls = toolCalls(assertOpenAIProtocol(replay(stream, sse, size)));
      assert.deepEqual(calls.map((c) => c.arguments), ['{"city": "Paris", "unit": "c"}', '{"city": "Tōkyō"}'], `chunk size ${size}`);
    }
  });

  it('sends a non-empty initial input in the first tool chunk and no "{}" after it', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: false });
    const sse = [
      sseEncode('{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":1,"output_tokens":1}}}', 'message_start'),
      sseEncode('{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"id":7}}}', 'content_block_start'),
      sseEncode('{"type":"content_block_stop","index":0}', 'content_block_stop'),
      sseEncode('{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":5}}', 'message_delta'),
      sseEncode('{"type":"message_stop"}', 'message_stop'),
    ].join('');
    assert.deepEqual(toolCalls(assertOpenAIProtocol(replay(stream, sse))), [{ id: 'toolu_1', name: 'lookup', arguments: '{"id":7}' }]);
  });

  it('skips server tool blocks and their deltas', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: false });
    const sse = [
      sseEncode('{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":1,"output_tokens":1}}}', 'message_start'),
      sseEncode('{"type":"content_block_start","index":0,"content_block":{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{}}}', 'content_block_start'),
      sseEncode('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"query\\": \\"x\\"}"}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_stop","index":0}', 'content_block_stop'),
      sseEncode('{"type":"content_block_start","index":1,"content_block":{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}}', 'content_block_start'),
      sseEncode('{"type":"content_block_stop","index":1}', 'content_block_stop'),
      sseEncode('{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}', 'content_block_start'),
      sseEncode('{"type":"content_block_delta","index":2,"delta":{"type":"citations_delta","citation":{"type":"web_search_result_location"}}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"Found it."}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_stop","index":2}', 'content_block_stop'),
      sseEncode('{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}', 'message_delta'),
      sseEncode('{"type":"message_stop"}', 'message_stop'),
    ].join('');
    const payloads = assertOpenAIProtocol(replay(stream, sse));
    assert.deepEqual(toolCalls(payloads), []);
    assert.equal(content(payloads), 'Found it.');
  });
});

describe('AnthropicToOpenAIStream: thinking', () => {
  it('streams thinking as reasoning_content and drops the signature', () => {
    const { payloads, text } = translate('anthropic-thinking.sse.txt');
    assert.equal(deltas(payloads).map((d) => d.reasoning_content ?? '').join(''), '17 + 25: 7 + 5 = 12, carry 1; 1 + 2 + 1 = 4. So 42.');
    assert.equal(content(payloads), '17 + 25 = 42.');
    assert.doesNotMatch(text, /EqQBCgIYAhIM/);
    assert.equal(finishReason(payloads), 'stop');
  });
});

describe('AnthropicToOpenAIStream: JSON mode emulation', () => {
  it('streams the JSON tool\'s input as content and finishes with stop', () => {
    const { payloads } = translate('anthropic-json-tool.sse.txt', { jsonToolName: JSON_TOOL_NAME });
    assert.deepEqual(JSON.parse(content(payloads)), { name: 'Ada Lovelace', born: 1815 });
    assert.deepEqual(toolCalls(payloads), []);
    assert.equal(finishReason(payloads), 'stop');
  });

  it('treats the tool as a real tool call when JSON mode was not requested', () => {
    const { payloads } = translate('anthropic-json-tool.sse.txt');
    assert.equal(toolCalls(payloads)[0]!.name, JSON_TOOL_NAME);
    assert.equal(finishReason(payloads), 'tool_calls');
  });
});

describe('AnthropicToOpenAIStream: errors and truncation (§4.5)', () => {
  it('turns an upstream error event into an OpenAI error chunk and stops, without [DONE] or finish_reason', () => {
    const { payloads, stream } = translate('anthropic-overloaded.sse.txt');
    assert.deepEqual(payloads.at(-1), { error: { message: 'Overloaded', type: 'overloaded_error', param: null, code: 'SB_UPSTREAM_ERROR' } });
    assert.equal(payloads.includes('[DONE]'), false);
    assert.equal(finishReason(payloads), undefined);
    assert.equal(content(payloads), 'The first part of the ans');
    assert.equal(stream.finished, true);
    assert.equal(stream.failed, true);
    assert.equal(stream.failure?.upstreamType, 'overloaded_error');
    assert.equal(stream.end(), '', 'end() after the error adds nothing');
  });

  it('ignores anything the upstream sends after an error', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
    stream.push({ event: 'error', data: '{"type":"error","error":{"type":"api_error","message":"Internal server error"}}' });
    assert.equal(stream.push({ event: 'message_stop', data: '{"type":"message_stop"}' }), '');
  });

  it('reports EOF before message_stop as an error, never as a finish_reason', () => {
    const sse = fixture('anthropic-parallel-tools.sse.txt');
    for (const cut of [0, 1, 4, 9, 13, 14]) {
      const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
      const payloads = assertOpenAIProtocol(replay(stream, truncateEvents(sse, cut)));
      assert.equal(finishReason(payloads), undefined, `cut after ${cut} events`);
      assert.equal((payloads.at(-1) as Json).error.code, 'SB_UPSTREAM_BAD_RESPONSE');
      assert.equal(stream.failed, true);
    }
  });

  it('reports a stream cut mid-event as an error too', () => {
    const sse = fixture('anthropic-text-cached.sse.txt');
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
    const payloads = assertOpenAIProtocol(replay(stream, sse.slice(0, sse.indexOf('message_stop') + 20)));
    assert.equal((payloads.at(-1) as Json).error.type, 'server_error');
  });

  it('treats data that is not JSON as a malformed stream', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
    const out = stream.push({ event: 'content_block_delta', data: '{"type": "content_bl' });
    assert.match(out, /SB_UPSTREAM_BAD_RESPONSE/);
    assert.equal(stream.finished, true);
  });

  it('stays well-formed when events arrive without message_start or with garbage fields', () => {
    const stream = new AnthropicToOpenAIStream({ model: 'm', includeUsage: true });
    const sse = [
      sseEncode('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"orphan"}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_start","index":"one","content_block":{"type":"tool_use"}}', 'content_block_start'),
      sseEncode('{"type":"content_block_delta","index":9,"delta":{"type":"input_json_delta","partial_json":"{}"}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_stop","index":null}', 'content_block_stop'),
      sseEncode('{"type":"message_delta","delta":null,"usage":"x"}', 'message_delta'),
      sseEncode('{"type":"future_event"}', 'future_event'),
      sseEncode('[]', 'message_start'),
    ].join('');
    const payloads = assertOpenAIProtocol(replay(stream, sse));
    assert.equal(content(payloads), 'orphan');
    assert.match(String(chunksOf(payloads)[0]!.id), /^chatcmpl-/);
  });
});
