import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countMessageTokens, countTokens } from './token-counter.ts';

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
