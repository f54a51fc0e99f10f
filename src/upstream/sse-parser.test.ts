import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from '../providers/formats/fixtures/replay.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { DEFAULT_MAX_EVENT_CHARS, SseParser, sseEncode, type SseEvent } from './sse-parser.ts';

function parseAll(chunks: Array<string | Buffer>): SseEvent[] {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  return [...events, ...parser.end()];
}

function splitAt(text: string, ...offsets: number[]): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  const bounds = [0, ...offsets, bytes.length];
  return bounds.slice(1).map((end, i) => bytes.subarray(bounds[i], end));
}

describe('SseParser', () => {
  it('parses Anthropic events with their event names', () => {
    const events = parseAll([fixture('anthropic-tool-no-args.sse.txt')]);
    assert.equal(events.length, 10);
    assert.deepEqual(events.map((e) => e.event).slice(0, 3), ['message_start', 'content_block_start', 'content_block_delta']);
    assert.deepEqual(JSON.parse(events[5]!.data), { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01DBsB4vvYLnBDzZ5rBSxSLs', name: 'updateIssueList', input: {} } });
  });

  it('parses OpenAI data-only events, with event undefined and [DONE] as plain data', () => {
    const events = parseAll([fixture('openai-text-cached.sse.txt')]);
    assert.equal(events.length, 6);
    assert.ok(events.every((e) => e.event === undefined));
    assert.equal(events.at(-1)!.data, '[DONE]');
  });

  it('joins multi-line data with "\\n"', () => {
    assert.deepEqual(parseAll(['data: first\ndata: second\ndata:\ndata: fourth\n\n']), [{ event: undefined, data: 'first\nsecond\n\nfourth' }]);
  });

  it('skips comment lines, including keep-alives between events', () => {
    const events = parseAll([': keep-alive\n\n', 'data: {"a":1}\n: mid-event comment\n\n', ':\n\n']);
    assert.deepEqual(events, [{ event: undefined, data: '{"a":1}' }]);
  });

  for (const [name, eol] of [['LF', '\n'], ['CRLF', '\r\n'], ['CR', '\r']] as const) {
    it(`accepts ${name} line endings`, () => {
      const text = `event: ping${eol}data: {"type":"ping"}${eol}${eol}data: x${eol}${eol}`;
      assert.deepEqual(parseAll([text]), [{ event: 'ping', data: '{"type":"ping"}' }, { event: undefined, data: 'x' }]);
    });
  }

  it('treats a CRLF split across two chunks as one line end', () => {
    const events = parseAll(['data: a\r', '\n\r', '\ndata: b\r\n\r\n']);
    assert.deepEqual(events, [{ event: undefined, data: 'a' }, { event: undefined, data: 'b' }]);
  });

  it('treats a lone CR followed by text in the next chunk as a line end', () => {
    assert.deepEqual(parseAll(['data: a\r', 'data: b\r\r']), [{ event: undefined, data: 'a\nb' }]);
  });

  it('strips exactly one space after the colon and accepts fields without a colon', () => {
    const events = parseAll(['data:  two spaces\n\n', 'data:none\n\n', 'data\n\n', 'event\ndata: x\n\n']);
    assert.deepEqual(events.map((e) => e.data), [' two spaces', 'none', '', 'x']);
    assert.equal(events[3]!.event, '');
  });

  it('ignores unknown fields and id/retry, and dispatches nothing for events without data', () => {
    assert.deepEqual(parseAll(['id: 7\nretry: 1000\nfoo: bar\n\n', 'event: lonely\n\n', 'data: y\n\n']), [{ event: undefined, data: 'y' }]);
  });

  it('does not carry an event name over to the next event', () => {
    assert.deepEqual(parseAll(['event: error\ndata: 1\n\ndata: 2\n\n']).map((e) => e.event), ['error', undefined]);
  });

  it('dispatches a last event that lacks its closing blank line at end()', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"x":1}\n\ndata: [DONE]'), [{ event: undefined, data: '{"x":1}' }]);
    assert.deepEqual(parser.end(), [{ event: undefined, data: '[DONE]' }]);
  });

  it('returns nothing from end() when the input ended cleanly', () => {
    const parser = new SseParser();
    parser.push('data: a\n\n');
    assert.deepEqual(parser.end(), []);
  });

  it('strips a UTF-8 byte-order mark at the start of a byte stream', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    assert.deepEqual(parseAll([Buffer.concat([bom, Buffer.from('data: a\n\n')])]), [{ event: undefined, data: 'a' }]);
  });

  it('survives a split at every byte boundary of multi-byte UTF-8 (2, 3 and 4 bytes)', () => {
    const text = 'event: content_block_delta\ndata: {"text":"wörld 你好 👋🏽 ok"}\n\n';
    const bytes = Buffer.from(text, 'utf8');
    for (let cut = 1; cut < bytes.length; cut++) {
      assert.deepEqual(parseAll(splitAt(text, cut)), [{ event: 'content_block_delta', data: '{"text":"wörld 你好 👋🏽 ok"}' }], `cut at byte ${cut}`);
    }
  });

  it('survives every pair of split points inside a 4-byte emoji', () => {
    const text = 'data: 👋\n\n';
    const start = Buffer.from('data: ').length;
    for (let a = start; a <= start + 4; a++) {
      for (let b = a; b <= start + 4; b++) assert.deepEqual(parseAll(splitAt(text, a, b)), [{ event: undefined, data: '👋' }]);
    }
  });

  it('parses a whole fixture fed one byte at a time exactly as fed at once', () => {
    const text = fixture('anthropic-parallel-tools.sse.txt');
    const bytes = Buffer.from(text, 'utf8');
    const oneByOne = parseAll([...bytes].map((byte) => Buffer.from([byte])));
    assert.deepEqual(oneByOne, parseAll([text]));
    assert.ok(oneByOne.some((e) => e.data.includes('Tōkyō')));
  });

  it('accepts string chunks as well as buffers', () => {
    assert.deepEqual(parseAll(['da', 'ta: hé', 'llo\n', '\n']), [{ event: undefined, data: 'héllo' }]);
  });
});

describe('SseParser bound on one event', () => {
  const isBound = (limit: number) => (err: unknown): boolean =>
    err instanceof GatewayError && err.code === 'SB_UPSTREAM_BAD_RESPONSE' && err.status === 502 && err.message.includes(`${limit} characters`);

  it('throws SB_UPSTREAM_BAD_RESPONSE once a line with no newline passes the bound, across chunks', () => {
    const parser = new SseParser(1000);
    assert.deepEqual(parser.push('data: '), []);
    for (let i = 0; i < 9; i++) assert.deepEqual(parser.push('x'.repeat(100)), [], `chunk ${i} is still within the bound`);
    assert.throws(() => parser.push('x'.repeat(100)), isBound(1000));
  });

  it('throws on one chunk that alone passes the bound', () => {
    assert.throws(() => new SseParser(1000).push(Buffer.from(`data: ${'x'.repeat(2000)}`)), isBound(1000));
  });

  it('accepts many small events that add up to far more than the bound', () => {
    const parser = new SseParser(1000);
    const event = `data: ${'y'.repeat(90)}\n\n`;
    let count = 0;
    for (let i = 0; i < 1000; i++) count += parser.push(event + event).length;
    count += parser.end().length;
    assert.equal(count, 2000, '200 kB through a 1000-character bound');
  });

  it('counts the data lines of one event together', () => {
    const line = `data: ${'z'.repeat(300)}\n`;
    const parser = new SseParser(1000);
    assert.deepEqual(parser.push(line + line + line), [], '900 characters of data, no blank line yet');
    assert.throws(() => parser.push(line), isBound(1000));
  });

  it('starts counting afresh after each event', () => {
    const line = `data: ${'z'.repeat(300)}\n`;
    const parser = new SseParser(1000);
    for (let i = 0; i < 10; i++) assert.equal(parser.push(`${line}${line}${line}\n`).length, 1);
  });

  it('defaults to DEFAULT_MAX_EVENT_CHARS', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push(`data: ${'x'.repeat(DEFAULT_MAX_EVENT_CHARS - 100)}`), []);
    assert.throws(() => parser.push('x'.repeat(200)), isBound(DEFAULT_MAX_EVENT_CHARS));
  });
});

describe('sseEncode', () => {
  it('writes an event line for Anthropic and a data-only event for OpenAI', () => {
    assert.equal(sseEncode('{"type":"ping"}', 'ping'), 'event: ping\ndata: {"type":"ping"}\n\n');
    assert.equal(sseEncode('[DONE]'), 'data: [DONE]\n\n');
  });

  it('splits multi-line data into several data lines that parse back to the same text', () => {
    const encoded = sseEncode('line one\nline two\r\nline three', 'note');
    assert.equal(encoded, 'event: note\ndata: line one\ndata: line two\ndata: line three\n\n');
    assert.deepEqual(parseAll([encoded]), [{ event: 'note', data: 'line one\nline two\nline three' }]);
  });

  it('round-trips JSON payloads through the parser', () => {
    const payload = JSON.stringify({ text: 'a\nb', emoji: '👋' });
    assert.deepEqual(parseAll([sseEncode(payload, 'content_block_delta'), sseEncode(payload)]), [
      { event: 'content_block_delta', data: payload },
      { event: undefined, data: payload },
    ]);
  });
});
