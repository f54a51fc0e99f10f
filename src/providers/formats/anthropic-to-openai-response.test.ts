import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { AnthropicMessage } from './anthropic-types.ts';
import { anthropicToOpenAIResponse } from './anthropic-to-openai-response.ts';
import { JSON_TOOL_NAME } from './json-response-tool.ts';

function message(content: unknown[], extra: Record<string, unknown> = {}): AnthropicMessage {
  return {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
    type: 'message',
    role: 'assistant',
    content,
    model: 'claude-sonnet-4-5-20250929',
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 2095, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 503 },
    ...extra,
  } as AnthropicMessage;
}

const translate = (msg: AnthropicMessage, jsonToolName?: string) =>
  anthropicToOpenAIResponse(msg, jsonToolName === undefined ? { model: 'claude-sonnet' } : { model: 'claude-sonnet', jsonToolName });

describe('anthropicToOpenAIResponse', () => {
  it('builds a chat.completion with the caller\'s model name', () => {
    const before = Math.floor(Date.now() / 1000);
    const out = translate(message([{ type: 'text', text: 'Hi! My name is Claude.' }]));
    assert.equal(out.object, 'chat.completion');
    assert.equal(out.id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
    assert.equal(out.model, 'claude-sonnet');
    assert.ok(out.created >= before && out.created <= before + 2);
    assert.deepEqual(out.choices, [{ index: 0, message: { role: 'assistant', content: 'Hi! My name is Claude.', refusal: null }, logprobs: null, finish_reason: 'stop' }]);
  });

  it('concatenates every text block, not just the first (Envoy defect)', () => {
    const out = translate(message([{ type: 'text', text: 'According to the doc, ' }, { type: 'text', text: 'the fee is 3%', citations: [{ type: 'char_location' }] }, { type: 'text', text: '.' }]));
    assert.equal(out.choices[0]!.message.content, 'According to the doc, the fee is 3%.');
  });

  it('turns parallel tool_use blocks into tool_calls in order, with content null when there is no text', () => {
    const out = translate(message([
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_01B7mKq2XvZ8nR4tL6wP3sJd', name: 'get_weather', input: { city: 'Tokyo', unit: 'c' } },
    ], { stop_reason: 'tool_use' }));
    const choice = out.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    assert.deepEqual(choice.message.tool_calls, [
      { id: 'toolu_01A09q90qw90lq917835lq9', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'toolu_01B7mKq2XvZ8nR4tL6wP3sJd', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo","unit":"c"}' } },
    ]);
  });

  it('keeps text next to tool calls and sends "{}" for tools without input', () => {
    const out = translate(message([{ type: 'text', text: "I'll update the issue list" }, { type: 'tool_use', id: 'toolu_01DBsB4vvYLnBDzZ5rBSxSLs', name: 'updateIssueList', input: {} }], { stop_reason: 'tool_use' }));
    assert.equal(out.choices[0]!.message.content, "I'll update the issue list");
    assert.equal(out.choices[0]!.message.tool_calls?.[0]?.function.arguments, '{}');
  });

  it('puts thinking into the non-standard reasoning_content and drops redacted thinking', () => {
    const out = translate(message([
      { type: 'thinking', thinking: '17 + 25: units 12, carry 1.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP' },
      { type: 'text', text: '17 + 25 = 42.' },
    ]));
    assert.equal(out.choices[0]!.message.reasoning_content, '17 + 25: units 12, carry 1.');
    assert.equal(out.choices[0]!.message.content, '17 + 25 = 42.');
  });

  it('omits reasoning_content when there was no thinking', () => {
    assert.equal('reasoning_content' in translate(message([{ type: 'text', text: 'x' }])).choices[0]!.message, false);
  });

  it('answers "" (not null) when there is neither text nor tool call', () => {
    assert.equal(translate(message([], { stop_reason: 'max_tokens' })).choices[0]!.message.content, '');
  });

  it('maps stop reasons', () => {
    assert.equal(translate(message([], { stop_reason: 'max_tokens' })).choices[0]!.finish_reason, 'length');
    assert.equal(translate(message([], { stop_reason: 'stop_sequence', stop_sequence: '</answer>' })).choices[0]!.finish_reason, 'stop');
    assert.equal(translate(message([], { stop_reason: 'refusal' })).choices[0]!.finish_reason, 'content_filter');
    assert.equal(translate(message([], { stop_reason: 'pause_turn' })).choices[0]!.finish_reason, 'stop');
  });

  it('reports cache reads and writes inside prompt_tokens so prompt + completion == total', () => {
    const out = translate(message([{ type: 'text', text: 'x' }], { usage: { input_tokens: 25, cache_creation_input_tokens: 1200, cache_read_input_tokens: 3400, output_tokens: 15 } }));
    assert.deepEqual(out.usage, { prompt_tokens: 4625, completion_tokens: 15, total_tokens: 4640, prompt_tokens_details: { cached_tokens: 3400, cache_write_tokens: 1200 } });
    assert.equal(out.usage!.prompt_tokens + out.usage!.completion_tokens, out.usage!.total_tokens);
  });

  it('reports thinking tokens as reasoning_tokens when the API gives them', () => {
    const out = translate(message([{ type: 'text', text: 'x' }], { usage: { input_tokens: 10, output_tokens: 300, output_tokens_details: { thinking_tokens: 250 } } }));
    assert.deepEqual(out.usage!.completion_tokens_details, { reasoning_tokens: 250 });
  });

  it('turns the JSON-mode tool call into content with finish_reason stop', () => {
    const out = translate(message([{ type: 'tool_use', id: 'toolu_01JsonRespXq7Lm2Nb8Vc4Zx', name: JSON_TOOL_NAME, input: { name: 'Ada Lovelace', born: 1815 } }], { stop_reason: 'tool_use' }), JSON_TOOL_NAME);
    const choice = out.choices[0]!;
    assert.equal(choice.finish_reason, 'stop');
    assert.deepEqual(JSON.parse(choice.message.content!), { name: 'Ada Lovelace', born: 1815 });
    assert.equal('tool_calls' in choice.message, false);
  });

  it('drops text around the JSON answer so the content stays parseable', () => {
    const out = translate(message([{ type: 'text', text: 'Here is the JSON:' }, { type: 'tool_use', id: 'toolu_1', name: JSON_TOOL_NAME, input: { ok: true } }], { stop_reason: 'tool_use' }), JSON_TOOL_NAME);
    assert.equal(out.choices[0]!.message.content, '{"ok":true}');
  });

  it('keeps real tool calls next to the JSON tool, finishing with tool_calls', () => {
    const out = translate(message([{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }], { stop_reason: 'tool_use' }), JSON_TOOL_NAME);
    assert.equal(out.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(out.choices[0]!.message.tool_calls?.length, 1);
  });

  it('treats a tool named like the JSON tool as a real tool when JSON mode is off', () => {
    const out = translate(message([{ type: 'tool_use', id: 'toolu_1', name: JSON_TOOL_NAME, input: {} }], { stop_reason: 'tool_use' }));
    assert.equal(out.choices[0]!.finish_reason, 'tool_calls');
  });

  it('survives odd blocks and usage, and rejects a body without content', () => {
    const odd = translate(message([null, 5, { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: {} }, { type: 'tool_use' }], { usage: 'lots', id: 7 }));
    assert.equal(odd.choices[0]!.message.tool_calls?.[0]?.function.name, '');
    assert.match(odd.choices[0]!.message.tool_calls?.[0]?.id ?? '', /^call_/);
    assert.match(odd.id, /^chatcmpl-/);
    assert.deepEqual(odd.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 } });
    for (const bad of [null, 'msg', {}, { content: 'text' }]) {
      assert.throws(() => translate(bad as unknown as AnthropicMessage), (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_BAD_RESPONSE');
    }
  });
});
