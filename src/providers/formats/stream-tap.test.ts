import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser } from '../../upstream/sse-parser.ts';
import { StreamTap } from './stream-tap.ts';

function run(tap: StreamTap, wire: string): string {
  const parser = new SseParser();
  return [...parser.push(wire), ...parser.end()].map((e) => tap.push(e)).join('');
}

const OPENAI = [
  'data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}',
  'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}',
  'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}',
  'data: {"id":"c1","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":4}}}',
  'data: [DONE]',
].map((l) => `${l}\n\n`).join('');

describe('StreamTap (same-format streams)', () => {
  it('reads OpenAI usage from the usage chunk, uncached input separated', () => {
    const tap = new StreamTap('openai', false);
    const out = run(tap, OPENAI);
    assert.equal(out, OPENAI, 'forwarded unchanged');
    assert.deepEqual(tap.usage, { inputTokens: 6, outputTokens: 3, cachedInputTokens: 4, cacheWriteTokens: 0, reasoningTokens: 0 });
    assert.equal(tap.finished, true);
    assert.equal(tap.failed, false);
  });

  it('drops the usage chunk it asked for on the caller\'s behalf, and only that one', () => {
    const tap = new StreamTap('openai', true);
    const out = run(tap, OPENAI);
    assert.doesNotMatch(out, /"choices":\[\]/);
    assert.match(out, /"content":"Hi"/);
    assert.match(out, /data: \[DONE\]\n\n$/);
    assert.equal(tap.usage.outputTokens, 3);
  });

  it('treats an OpenAI error chunk as the end of a failed stream', () => {
    const tap = new StreamTap('openai', false);
    run(tap, 'data: {"error":{"message":"boom","type":"server_error"}}\n\n');
    assert.equal(tap.finished, true);
    assert.equal(tap.failed, true);
  });

  it('keeps Anthropic usage cumulative: message_delta fields overwrite, missing ones keep their value', () => {
    const tap = new StreamTap('anthropic', false);
    const wire = [
      'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":43,"cache_read_input_tokens":7,"cache_creation_input_tokens":2,"output_tokens":1}}}',
      'event: ping\ndata: {"type":"ping"}',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":61,"output_tokens":30}}',
      'event: message_stop\ndata: {"type":"message_stop"}',
    ].map((l) => `${l}\n\n`).join('');
    const out = run(tap, wire);
    assert.equal(out, wire, 'event: lines are kept');
    assert.deepEqual(tap.usage, { inputTokens: 61, outputTokens: 30, cachedInputTokens: 7, cacheWriteTokens: 2, reasoningTokens: 0 });
    assert.equal(tap.finished, true);
  });

  it('marks an Anthropic error event as a failed end', () => {
    const tap = new StreamTap('anthropic', false);
    run(tap, 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    assert.equal(tap.failed, true);
    assert.equal(tap.finished, true);
  });

  it('is not finished by a stream that just stops', () => {
    const tap = new StreamTap('openai', false);
    run(tap, OPENAI.split('data: [DONE]')[0] ?? '');
    assert.equal(tap.finished, false);
  });
});
