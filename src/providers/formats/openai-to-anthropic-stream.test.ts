import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertAnthropicProtocol } from './fixtures/protocol-checks.ts';
import { decodeSse, fixture, replay, truncateEvents } from './fixtures/replay.ts';
import { CHAT_DONE, CHAT_USAGE, chatChunk } from './fixtures/chat-chunks.ts';
import { OpenAIToAnthropicStream } from './openai-to-anthropic-stream.ts';
import { sseEncode } from '../../upstream/sse-parser.ts';
import { toAnthropicToolId } from './tool-call-id.ts';

type Json = Record<string, any>;

function translate(sse: string, chunkSize?: number) {
  const stream = new OpenAIToAnthropicStream({ model: 'gpt-4.1' });
  const text = replay(stream, sse, chunkSize);
  return { stream, text, events: assertAnthropicProtocol(text) as Json[] };
}


/** Rebuilds the final message the way the Anthropic SDK's MessageStream does. */
function rebuild(events: Json[]): Json[] {
  const blocks: Json[] = [];
  for (const event of events) {
    if (event.type === 'content_block_start') blocks[event.index] = { ...event.content_block, json: '' };
    if (event.type !== 'content_block_delta') continue;
    const block = blocks[event.index]!;
    if (event.delta.type === 'text_delta') block.text += event.delta.text;
    if (event.delta.type === 'thinking_delta') block.thinking += event.delta.thinking;
    if (event.delta.type === 'input_json_delta') block.json += event.delta.partial_json;
  }
  return blocks.map(({ json, ...block }) => (block.type === 'tool_use' ? { ...block, input: json === '' ? {} : JSON.parse(json) } : block));
}

const find = (events: Json[], type: string): Json[] => events.filter((e) => e.type === type);

describe('OpenAIToAnthropicStream: text', () => {
  it('emits message_start, one text block, message_delta and message_stop', () => {
    const { events, stream } = translate(fixture('openai-text-cached.sse.txt'));
    assert.deepEqual(events[0], {
      type: 'message_start',
      message: { id: 'chatcmpl-D8ZqV1xJr0kXb7yHcTgQ2m9sLwP4e', type: 'message', role: 'assistant', content: [], model: 'gpt-4.1', stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } },
    });
    assert.deepEqual(rebuild(events), [{ type: 'text', text: 'Holiday greetings, wörld 👋' }]);
    assert.deepEqual(events.map((e) => e.type), ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    assert.equal(stream.finished, true);
    assert.equal(stream.failed, false);
  });

  it('holds message_delta until the usage chunk, then reports uncached input and cache reads', () => {
    const { events, stream } = translate(fixture('openai-text-cached.sse.txt'));
    assert.deepEqual(find(events, 'message_delta'), [{
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { input_tokens: 86, output_tokens: 300, cache_creation_input_tokens: 0, cache_read_input_tokens: 1920 },
    }]);
    assert.deepEqual(stream.usage, { inputTokens: 86, outputTokens: 300, cachedInputTokens: 1920, cacheWriteTokens: 0, reasoningTokens: 0 });
  });

  it('writes an event: line for every event', () => {
    const { text } = translate(fixture('openai-text-cached.sse.txt'));
    assert.ok(decodeSse(text).every((e) => e.event !== undefined));
  });

  it('gives the same events whatever the chunking, down to one byte at a time', () => {
    const whole = translate(fixture('openai-parallel-tools.sse.txt')).events;
    for (const size of [1, 3, 17, 100]) assert.deepEqual(translate(fixture('openai-parallel-tools.sse.txt'), size).events, whole, `chunk size ${size}`);
  });

  it('ignores empty content deltas and role-only chunks', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: '' }) + chatChunk({ content: '' }) + chatChunk({ content: 'x' }) + chatChunk({}, 'stop') + chatChunk(undefined, null, CHAT_USAGE) + CHAT_DONE);
    assert.equal(find(events, 'content_block_start').length, 1);
  });

  it('emits a valid message with no blocks for an empty answer', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: '' }) + chatChunk({}, 'length') + chatChunk(undefined, null, CHAT_USAGE) + CHAT_DONE);
    assert.deepEqual(events.map((e) => e.type), ['message_start', 'message_delta', 'message_stop']);
    assert.equal(events[1]!.delta.stop_reason, 'max_tokens');
  });

  it('turns a refusal delta into text and content_filter into refusal', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: null, refusal: '' }) + chatChunk({ refusal: "I can't help with that." }) + chatChunk({}, 'content_filter') + chatChunk(undefined, null, CHAT_USAGE) + CHAT_DONE);
    assert.deepEqual(rebuild(events), [{ type: 'text', text: "I can't help with that." }]);
    assert.equal(find(events, 'message_delta')[0]!.delta.stop_reason, 'refusal');
  });
});

describe('OpenAIToAnthropicStream: tool calls', () => {
  it('opens one tool_use block per call with dense block indexes and streams argument deltas', () => {
    const { events } = translate(fixture('openai-parallel-tools.sse.txt'));
    assert.deepEqual(find(events, 'content_block_start'), [
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'call_O17Uplv4lJvD6DVdIvFFeRMw', name: 'get_weather', input: {} } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', name: 'get_weather', input: {} } },
    ]);
    assert.deepEqual(find(events, 'content_block_delta').map((e) => [e.index, e.delta.partial_json]), [[0, '{"ci'], [0, 'ty": "Paris"}'], [1, '{"city": "Tō'], [1, 'kyō"}']]);
    assert.equal(find(events, 'message_delta')[0]!.delta.stop_reason, 'tool_use');
  });

  it('reassembles each tool\'s input whole (litellm#25321: never input {})', () => {
    const { events } = translate(fixture('openai-parallel-tools.sse.txt'));
    assert.deepEqual(rebuild(events).map((b) => b.input), [{ city: 'Paris' }, { city: 'Tōkyō' }]);
  });

  it('ignores an empty tool_calls array instead of emitting an empty input_json_delta (litellm#29286)', () => {
    const { events } = translate(fixture('openai-parallel-tools.sse.txt'));
    assert.ok(find(events, 'content_block_delta').every((e) => e.delta.partial_json !== ''));
    const { events: textEvents } = translate(chatChunk({ role: 'assistant', content: 'Hi', tool_calls: [] }) + chatChunk({ tool_calls: [] }) + chatChunk({}, 'stop') + CHAT_DONE);
    assert.deepEqual(rebuild(textEvents), [{ type: 'text', text: 'Hi' }]);
  });

  it('closes the text block before the first tool block', () => {
    const { events } = translate(
      chatChunk({ role: 'assistant', content: 'Checking.' })
      + chatChunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'now', arguments: '' } }] })
      + chatChunk({}, 'tool_calls') + chatChunk(undefined, null, CHAT_USAGE) + CHAT_DONE,
    );
    assert.deepEqual(events.slice(1, 6).map((e) => `${e.type}:${e.index}`), ['content_block_start:0', 'content_block_delta:0', 'content_block_stop:0', 'content_block_start:1', 'content_block_stop:1']);
    assert.deepEqual(rebuild(events)[1], { type: 'tool_use', id: 'call_1', name: 'now', input: {} });
  });

  it('handles a whole tool call in one chunk and several calls in one delta', () => {
    const { events } = translate(
      chatChunk({ role: 'assistant', tool_calls: [
        { index: 0, id: 'call_a', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'b', arguments: '{"y":2}' } },
      ] }) + chatChunk({}, 'tool_calls', CHAT_USAGE) + CHAT_DONE,
    );
    assert.deepEqual(rebuild(events).map((b) => [b.name, b.input]), [['a', { x: 1 }], ['b', { y: 2 }]]);
  });

  it('sanitizes foreign ids and mints missing ones', () => {
    const { events } = translate(
      chatChunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'functions.Bash:0', type: 'function', function: { name: 'Bash', arguments: '{}' } }] })
      + chatChunk({ tool_calls: [{ index: 1, type: 'function', function: { name: 'Bash', arguments: '{}' } }] })
      + chatChunk({}, 'tool_calls') + CHAT_DONE,
    );
    const ids = find(events, 'content_block_start').map((e) => e.content_block.id);
    assert.equal(ids[0], toAnthropicToolId('functions.Bash:0'));
    assert.match(ids[1], /^toolu_/);
  });

  it('uses the position when a server omits the tool index', () => {
    const { events } = translate(chatChunk({ role: 'assistant', tool_calls: [{ id: 'call_a', function: { name: 'a', arguments: '{}' } }] }) + chatChunk({}, 'tool_calls') + CHAT_DONE);
    assert.equal(rebuild(events)[0]!.name, 'a');
  });

  it('routes a late fragment for an earlier tool to that tool\'s block', () => {
    const { events } = translate(
      chatChunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_a', function: { name: 'a', arguments: '{"x":' } }] })
      + chatChunk({ tool_calls: [{ index: 1, id: 'call_b', function: { name: 'b', arguments: '{"y":2}' } }] })
      + chatChunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] })
      + chatChunk({}, 'tool_calls') + CHAT_DONE,
    );
    assert.deepEqual(rebuild(events).map((b) => b.input), [{ x: 1 }, { y: 2 }]);
  });
});

describe('OpenAIToAnthropicStream: reasoning', () => {
  it('streams reasoning_content as a thinking block before the text block', () => {
    const { events, stream } = translate(fixture('openai-reasoning.sse.txt'));
    assert.deepEqual(rebuild(events), [
      { type: 'thinking', thinking: '17 + 25: units 12, carry 1, tens 4. So 42.', signature: '' },
      { type: 'text', text: '17 + 25 = 42.' },
    ]);
    assert.equal(stream.usage.outputTokens, 64);
  });

  it('closes the message when finish_reason and usage come in the same chunk', () => {
    const { text } = translate(fixture('openai-reasoning.sse.txt'));
    const types = decodeSse(text).map((e) => e.event);
    assert.equal(types.at(-1), 'message_stop');
    assert.equal(types.filter((t) => t === 'message_stop').length, 1);
  });

  it('reads the `reasoning` delta field too', () => {
    const { events } = translate(chatChunk({ role: 'assistant', reasoning: 'hmm' }) + chatChunk({ content: 'ok' }) + chatChunk({}, 'stop') + CHAT_DONE);
    assert.deepEqual(rebuild(events).map((b) => b.type), ['thinking', 'text']);
  });
});

describe('OpenAIToAnthropicStream: finishing without a usage chunk', () => {
  it('closes at [DONE] after finish_reason with zero usage', () => {
    const { events, stream } = translate(chatChunk({ role: 'assistant', content: 'Hi' }) + chatChunk({}, 'stop') + CHAT_DONE);
    assert.equal(events.at(-1)!.type, 'message_stop');
    assert.deepEqual(find(events, 'message_delta')[0]!.usage, { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    assert.equal(stream.finished, true);
  });

  it('closes at EOF after finish_reason when the upstream sends neither usage nor [DONE]', () => {
    const { events, stream } = translate(chatChunk({ role: 'assistant', content: 'Hi' }) + chatChunk({}, 'stop'));
    assert.equal(events.at(-1)!.type, 'message_stop');
    assert.equal(stream.failed, false);
  });

  it('ignores anything after the close', () => {
    const stream = new OpenAIToAnthropicStream({ model: 'm' });
    replay(stream, fixture('openai-text-cached.sse.txt'));
    assert.equal(stream.push({ event: undefined, data: '{"choices":[{"delta":{"content":"late"}}]}' }), '');
    assert.equal(stream.end(), '');
  });
});

describe('OpenAIToAnthropicStream: errors and truncation (§4.5)', () => {
  it('turns an error chunk into event: error, without message_stop', () => {
    const { events, stream } = translate(fixture('openai-error.sse.txt'));
    assert.deepEqual(events.at(-1), { type: 'error', error: { type: 'api_error', message: 'The server had an error while processing your request. Sorry about that!', code: 'SB_UPSTREAM_ERROR' } });
    assert.equal(find(events, 'message_stop').length, 0);
    assert.equal(find(events, 'message_delta').length, 0);
    assert.equal(stream.finished, true);
    assert.equal(stream.failed, true);
    assert.equal(stream.failure?.code, 'SB_UPSTREAM_ERROR');
  });

  it('maps overload and rate-limit errors to Anthropic\'s types', () => {
    const overloaded = new OpenAIToAnthropicStream({ model: 'm' }).push({ event: undefined, data: '{"error":{"message":"Service unavailable","type":"service_unavailable_error"}}' });
    assert.match(overloaded, /"type":"overloaded_error"/);
    const limited = new OpenAIToAnthropicStream({ model: 'm' }).push({ event: 'error', data: '{"error":{"message":"slow down","code":"rate_limit_exceeded"}}' });
    assert.match(limited, /^event: error\n/);
    assert.match(limited, /"type":"rate_limit_error"/);
  });

  it('reports EOF before any finish_reason as an error event', () => {
    const sse = fixture('openai-parallel-tools.sse.txt');
    for (const cut of [0, 1, 3, 6, 8]) {
      const { events, stream } = translate(truncateEvents(sse, cut));
      assert.equal(events.at(-1)!.type, 'error', `cut after ${cut} events`);
      assert.equal(find(events, 'message_stop').length, 0);
      assert.equal(stream.failure?.code, 'SB_UPSTREAM_BAD_RESPONSE');
    }
  });

  it('treats [DONE] without a finish_reason as truncation', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: 'partial' }) + CHAT_DONE);
    assert.equal(events.at(-1)!.type, 'error');
    assert.equal(find(events, 'message_stop').length, 0);
  });

  it('treats data that is not JSON as a malformed stream', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: 'a' }) + sseEncode('{"id": "chatcmpl-x", "choi'));
    assert.equal(events.at(-1)!.type, 'error');
    assert.match(events.at(-1)!.error.message, /not valid JSON/);
  });

  it('never redisplays secrets from an upstream error message', () => {
    const out = new OpenAIToAnthropicStream({ model: 'm' }).push({ event: undefined, data: '{"error":{"message":"Incorrect API key provided: sk-proj-AbCdEf1234567890","type":"invalid_request_error"}}' });
    assert.doesNotMatch(out, /AbCdEf1234567890/);
  });

  it('stays well-formed on garbage chunks', () => {
    const garbage = [sseEncode('{}'), sseEncode('{"choices":"x"}'), sseEncode('{"choices":[null]}'), sseEncode('{"choices":[{"delta":{"tool_calls":[null,{"index":"z"}]}}]}'), sseEncode('{"choices":[{"delta":{"content":5}}],"usage":"x"}')];
    const { events } = translate(garbage.join('') + chatChunk({}, 'stop') + CHAT_DONE);
    assert.equal(events.at(-1)!.type, 'message_stop');
  });
});

describe('OpenAIToAnthropicStream: after finish_reason', () => {
  it('ignores stray deltas so no block is open at message_delta', () => {
    const { events } = translate(chatChunk({ role: 'assistant', content: 'Done.' }) + chatChunk({}, 'stop') + chatChunk({ content: ' stray' }) + chatChunk(undefined, null, CHAT_USAGE) + CHAT_DONE);
    assert.deepEqual(rebuild(events), [{ type: 'text', text: 'Done.' }]);
  });
});
