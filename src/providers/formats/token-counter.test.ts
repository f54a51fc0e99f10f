import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { randomLetters } from '../../../test/support/random-letters.ts';
import { countMessageTokens, countTokens, countedTextLength } from './token-counter.ts';

/** The library counting the whole text at once, without the chunking countTokens does. */
const unchunked = (text: string): number =>
  (createRequire(import.meta.url)('gpt-tokenizer/encoding/o200k_base') as { countTokens(t: string, o: object): number })
    .countTokens(text, { disallowedSpecial: new Set<string>() });

describe('countTokens', () => {
  it('counts o200k_base tokens', () => {
    assert.equal(countTokens(''), 0);
    assert.equal(countTokens('hello world'), 2);
    assert.equal(countTokens('Hello, world!'), 4);
  });

  it('counts non-Latin text by BPE, not by characters', () => {
    assert.ok(countTokens('你好，世界') >= 2);
    assert.ok(countTokens('👋👋👋') >= 3);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    assert.ok(countTokens('<|endoftext|> and <|im_start|>') > 2);
  });

  it('grows with the input', () => {
    assert.ok(countTokens('The quick brown fox jumps over the lazy dog. '.repeat(100)) > 900);
  });

  it('counts long prose and code exactly as the whole text at once', () => {
    const prose = 'It was the best of times, it was the worst of times;\n\tit was the age of wisdom ("foolishness"). ';
    const code = 'export function f(a: number): number {\n  return a * 2; // double\n}\n\n';
    for (const text of [prose.repeat(300), code.repeat(300), `${prose}${code}`.repeat(150)]) {
      assert.equal(countTokens(text), unchunked(text));
    }
  });

  it('counts one long run of letters in linear time, to within a token per cut', () => {
    // Unchunked, BPE is quadratic in a run's length: 100 000 random letters would take ~10 s here.
    const run = randomLetters(100_000, 1);
    const started = performance.now();
    const tokens = countTokens(run);
    assert.ok(performance.now() - started < 5000, 'took too long: chunking is not bounding the run');
    const exact = unchunked(run.slice(0, 2000)) * 50; // close enough for random letters
    assert.ok(Math.abs(tokens - exact) / exact < 0.05, `${tokens} tokens, about ${exact} expected`);
  });

  it('never splits a surrogate pair at a cut', () => {
    // 256-character chunks; after the 'a' every high surrogate is at an odd index, so the first cut moves
    // back to 255 and every later chunk holds 128 whole emoji. 😀 is one token, each half of a split pair
    // one more (checked: without the guard this count is 7 higher).
    const wave = (n: number) => '😀'.repeat(n);
    const expected = unchunked(`a${wave(127)}`) + 6 * unchunked(wave(128)) + unchunked(wave(105));
    assert.equal(countTokens(`a${wave(1000)}`), expected);
  });
});

describe('countedTextLength', () => {
  it('is the number of characters countMessageTokens tokenizes', () => {
    const tool = { name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string', description: 'with "quotes"' } } } };
    const body = {
      system: [{ type: 'text', text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA'.repeat(1000) } }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'lookup', input: { q: 'x\ny' } }], tool_calls: [{ function: { name: 'f', arguments: '{}' } }] },
      ],
      tools: [tool],
    };
    const expected = 'Be brief.'.length + 'user'.length + 'Hi'.length + 'assistant'.length + 'lookup'.length + JSON.stringify({ q: 'x\ny' }).length
      + 'f'.length + '{}'.length + JSON.stringify(tool).length;
    assert.equal(countedTextLength(body), expected, 'images and other fixed estimates count no characters');
    assert.equal(countedTextLength({ messages: 'x', tools: {} }), 0);
  });
});

describe('countMessageTokens', () => {
  const ANTHROPIC = {
    model: 'claude-sonnet-4-5',
    system: 'You are a scientist.',
    messages: [{ role: 'user', content: 'Hello, Claude' }],
  };

  it('counts system, messages and per-message overhead of an Anthropic body', () => {
    const expected = 3 + countTokens('You are a scientist.') + 3 + countTokens('user') + countTokens('Hello, Claude');
    assert.equal(countMessageTokens(ANTHROPIC), expected);
  });

  it('counts system as text blocks the same as a string', () => {
    assert.equal(countMessageTokens({ ...ANTHROPIC, system: [{ type: 'text', text: 'You are a scientist.', cache_control: { type: 'ephemeral' } }] }), countMessageTokens(ANTHROPIC));
  });

  it('counts tool definitions', () => {
    const tool = { name: 'get_weather', description: 'Get the current weather in a given location', input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } };
    assert.equal(countMessageTokens({ ...ANTHROPIC, tools: [tool] }), countMessageTokens(ANTHROPIC) + countTokens(JSON.stringify(tool)));
  });

  it('counts tool_use, tool_result, thinking and images of an Anthropic history', () => {
    const base = countMessageTokens({ messages: [] });
    const body = {
      messages: [
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Look it up.', signature: 'x' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '18°C' }] }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
      ],
    };
    const expected = base + 3 + countTokens('assistant') + countTokens('Look it up.') + countTokens('get_weather') + countTokens('{"city":"Paris"}')
      + 3 + countTokens('user') + countTokens('18°C') + 1600;
    assert.equal(countMessageTokens(body), expected);
  });

  it('counts an OpenAI chat body: parts, tool_calls and function tools', () => {
    const body = {
      model: 'gpt-4.1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"a"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'An ant.' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
    };
    const perMessage = (role: string) => 3 + countTokens(role);
    const expected = 3 + perMessage('system') + countTokens('Be brief.') + perMessage('user') + countTokens('What is this?') + 1600
      + perMessage('assistant') + countTokens('lookup') + countTokens('{"q":"a"}') + perMessage('tool') + countTokens('An ant.')
      + countTokens(JSON.stringify(body.tools[0]));
    assert.equal(countMessageTokens(body), expected);
  });

  it('counts text documents and estimates PDFs', () => {
    const text = countMessageTokens({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Grass is green.' } }] }] });
    const pdf = countMessageTokens({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' } }] }] });
    assert.equal(pdf - text, 2000 - countTokens('Grass is green.'));
  });

  it('never throws on garbage', () => {
    for (const body of [undefined, null, 'x', 42, [], {}, { messages: 'x', tools: {} }, { messages: [null, 5, { content: [null, { type: 7 }] }] }, { system: 9 }]) {
      assert.equal(typeof countMessageTokens(body), 'number');
    }
    assert.equal(countMessageTokens({}), 3);
  });
});
