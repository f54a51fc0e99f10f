import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import { streamErrorEvent } from './stream-error-event.ts';

/** Splits an SSE text into its events (blank-line separated), each as field → value. */
function events(text: string): Array<Record<string, string>> {
  return text.split('\n\n').filter((block) => block.trim() !== '').map((block) => {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
    }
    return fields;
  });
}

describe('streamErrorEvent', () => {
  it('ends an OpenAI stream with a data-only error event in the OpenAI error shape', () => {
    const err = new GatewayError('SB_UPSTREAM_UNREACHABLE', { message: 'Provider "openai" could not be reached: ECONNRESET.' });
    const text = streamErrorEvent('openai', err);
    assert.ok(text.startsWith('\n\n'), 'a blank line first closes any half-written event');
    assert.ok(text.endsWith('\n\n'));
    const parsed = events(text);
    assert.equal(parsed.length, 1);
    assert.deepEqual(Object.keys(parsed[0]!), ['data']);
    assert.deepEqual(JSON.parse(parsed[0]!.data!), {
      error: { message: err.message, type: 'server_error', param: null, code: 'SB_UPSTREAM_UNREACHABLE' },
    });
    assert.ok(!text.includes('[DONE]'));
  });

  it('ends an Anthropic stream with an "error" event in the Anthropic error shape', () => {
    const err = new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: 'Provider "anthropic" ended the stream before it was complete.' });
    const text = streamErrorEvent('anthropic', err);
    assert.ok(text.startsWith('\n\nevent: error\ndata: '));
    const [event] = events(text);
    assert.equal(event?.event, 'error');
    assert.deepEqual(JSON.parse(event!.data!), {
      type: 'error', error: { type: 'api_error', message: err.message, code: 'SB_UPSTREAM_BAD_RESPONSE' },
    });
  });

  it('types an upstream timeout as timeout_error for Anthropic and server_error for OpenAI', () => {
    const err = new GatewayError('SB_UPSTREAM_TIMEOUT');
    assert.equal(JSON.parse(events(streamErrorEvent('anthropic', err))[0]!.data!).error.type, 'timeout_error');
    assert.equal(JSON.parse(events(streamErrorEvent('openai', err))[0]!.data!).error.type, 'server_error');
  });

  it('keeps a message with newlines on one data line', () => {
    const err = new GatewayError('SB_UPSTREAM_ERROR', { message: 'line one\nline two' });
    for (const format of ['openai', 'anthropic'] as const) {
      const [event] = events(streamErrorEvent(format, err));
      assert.equal(JSON.parse(event!.data!).error.message, 'line one\nline two');
    }
  });
});
