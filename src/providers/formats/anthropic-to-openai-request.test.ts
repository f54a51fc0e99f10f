import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { AnthropicMessagesRequest } from './anthropic-types.ts';
import { anthropicToOpenAIRequest, type AnthropicToOpenAIOptions } from './anthropic-to-openai-request.ts';
import { toAnthropicToolId } from './tool-call-id.ts';

const MODEL = 'gpt-4.1-2025-04-14';
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PDF_B64 = 'JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+CnN0cmVhbQo=';

function translate(body: Record<string, unknown>, options?: AnthropicToOpenAIOptions, model = MODEL): ReturnType<typeof anthropicToOpenAIRequest> {
  const base = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello' }] };
  return anthropicToOpenAIRequest({ ...base, ...body } as AnthropicMessagesRequest, model, options);
}

function rejects(body: Record<string, unknown>, code: ErrorCode, param: string, options?: AnthropicToOpenAIOptions, model = MODEL): void {
  assert.throws(() => translate(body, options, model), (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.param, param);
    return true;
  });
}

/** Claude Code style tools. */
const TOOLS = [
  { name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] } },
  { name: 'Bash', input_schema: { type: 'object', properties: { command: { type: 'string' } } } },
];

/** The same with a cache breakpoint on the first, as Claude Code sends them. */
const CACHED_TOOLS = [{ ...TOOLS[0]!, cache_control: { type: 'ephemeral' } }, TOOLS[1]!];

const drop = (...names: string[]): AnthropicToOpenAIOptions => ({ dropParams: new Set(names) });

describe('anthropicToOpenAIRequest: envelope and parameters', () => {
  it('builds a minimal request with max_completion_tokens', () => {
    assert.deepEqual(translate({}), { model: MODEL, messages: [{ role: 'user', content: 'Hello' }], max_completion_tokens: 1024 });
  });

  it('requires max_tokens, as Anthropic does', () => {
    rejects({ max_tokens: undefined }, 'SB_INVALID_REQUEST', 'max_tokens');
    rejects({ max_tokens: -1 }, 'SB_INVALID_REQUEST', 'max_tokens');
  });

  it('prepends a string system prompt', () => {
    assert.deepEqual(translate({ system: 'You are Claude Code.' }).messages[0], { role: 'system', content: 'You are Claude Code.' });
  });

  it('joins system text blocks with "\\n"', () => {
    const out = translate({ system: [{ type: 'text', text: 'Part one.' }, { type: 'text', text: 'Part two.' }] });
    assert.deepEqual(out.messages[0], { role: 'system', content: 'Part one.\nPart two.' });
    rejects({ system: [{ type: 'image' }] }, 'SB_INVALID_REQUEST', 'system.0');
    rejects({ system: 5 }, 'SB_INVALID_REQUEST', 'system');
  });

  it('keeps temperature and top_p', () => {
    const out = translate({ temperature: 0.4, top_p: 0.95 });
    assert.equal(out.temperature, 0.4);
    assert.equal(out.top_p, 0.95);
  });

  it('maps stop_sequences to stop', () => {
    assert.deepEqual(translate({ stop_sequences: ['</answer>', 'Human:'] }).stop, ['</answer>', 'Human:']);
    assert.equal('stop' in translate({ stop_sequences: [] }), false);
    rejects({ stop_sequences: 'END' }, 'SB_INVALID_REQUEST', 'stop_sequences');
  });

  it('asks for usage in streams so message_delta can carry it', () => {
    const out = translate({ stream: true });
    assert.equal(out.stream, true);
    assert.deepEqual(out.stream_options, { include_usage: true });
    assert.equal('stream' in translate({ stream: false }), false);
  });

  it('maps metadata.user_id to user', () => {
    assert.equal(translate({ metadata: { user_id: 'user_8f2a' } }).user, 'user_8f2a');
    assert.equal('user' in translate({ metadata: {} }), false);
  });

  it('maps thinking budgets and output_config.effort to reasoning_effort for a model that reasons', () => {
    const reasoner = (body: Record<string, unknown>): ReturnType<typeof anthropicToOpenAIRequest> => translate(body, {}, 'o3-2025-04-16');
    assert.equal(reasoner({ thinking: { type: 'enabled', budget_tokens: 16000 } }).reasoning_effort, 'high');
    assert.equal(reasoner({ thinking: { type: 'enabled', budget_tokens: 6000 } }).reasoning_effort, 'medium');
    assert.equal(reasoner({ thinking: { type: 'enabled', budget_tokens: 1024 } }).reasoning_effort, 'low');
    assert.equal('reasoning_effort' in reasoner({ thinking: { type: 'disabled' } }), false);
    assert.equal(reasoner({ thinking: { type: 'adaptive' }, output_config: { effort: 'xhigh' } }).reasoning_effort, 'xhigh');
  });

  it('maps service_tier auto and standard_only to OpenAI auto and default', () => {
    assert.equal(translate({ service_tier: 'auto' }).service_tier, 'auto');
    assert.equal(translate({ service_tier: 'standard_only' }).service_tier, 'default');
    rejects({ service_tier: 'priority' }, 'SB_INVALID_REQUEST', 'service_tier');
  });

  it('maps output_config.format (and the beta output_format) to a json_schema response_format', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const expected = { type: 'json_schema', json_schema: { name: 'structured_output', schema, strict: true } };
    assert.deepEqual(translate({ output_config: { format: { type: 'json_schema', schema } } }).response_format, expected);
    assert.deepEqual(translate({ output_format: { type: 'json_schema', schema } }).response_format, expected);
  });
});

describe('anthropicToOpenAIRequest: messages', () => {
  it('sends a lone text block as a plain string and several blocks as parts', () => {
    assert.deepEqual(translate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] }).messages, [{ role: 'user', content: 'Hi' }]);
    assert.deepEqual(translate({ messages: [{ role: 'user', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] }] }).messages, [
      { role: 'user', content: [{ type: 'text', text: 'A' }, { type: 'text', text: 'B' }] },
    ]);
  });

  it('turns base64 and URL images into image_url parts', () => {
    const out = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/chart.webp' } },
          { type: 'text', text: 'Describe both.' },
        ],
      }],
    });
    assert.deepEqual(out.messages, [{
      role: 'user',
      content: [
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/chart.webp' } },
        { type: 'text', text: 'Describe both.' },
      ],
    }]);
  });

  it('turns PDF documents into file parts and text documents into text', () => {
    const out = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 }, title: 'contract.pdf' },
          { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF_B64 } },
          { type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'Plain notes.' } },
        ],
      }],
    });
    assert.deepEqual(out.messages[0]!.content, [
      { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF_B64}`, filename: 'contract.pdf' } },
      { type: 'file', file: { file_data: `data:application/pdf;base64,${PDF_B64}`, filename: 'document.pdf' } },
      { type: 'text', text: 'Plain notes.' },
    ]);
    rejects({ messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: 'https://example.com/a.pdf' } }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0.source');
  });

  it('concatenates assistant text and turns tool_use blocks into tool_calls in order, dropping thinking', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Check Paris and Tokyo' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Two cities, two calls.', signature: 'EqQBCgIYAhIM' },
            { type: 'text', text: "I'll check " },
            { type: 'text', text: 'both.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: { city: 'Tokyo' } },
          ],
        },
      ],
    });
    assert.deepEqual(out.messages[1], {
      role: 'assistant',
      content: "I'll check both.",
      tool_calls: [
        { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
      ],
    });
  });

  it('sends content null for a tool-only assistant turn, and drops a thinking-only one', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'now', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '12:00' }] },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'EmwKAhgBEgy' }] },
      ],
    });
    assert.deepEqual(out.messages[1], { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'now', arguments: '{}' } }] });
    assert.equal(out.messages.length, 3);
  });

  it('puts tool results first, one tool message each, then the user text', () => {
    const out = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'Here are the results. Which is warmer?' },
          { type: 'tool_result', tool_use_id: 'toolu_01A', content: '18°C' },
          { type: 'tool_result', tool_use_id: 'toolu_01B', content: [{ type: 'text', text: '24°C' }, { type: 'text', text: 'sunny' }] },
        ],
      }],
    });
    assert.deepEqual(out.messages, [
      { role: 'tool', tool_call_id: 'toolu_01A', content: '18°C' },
      { role: 'tool', tool_call_id: 'toolu_01B', content: '24°C\nsunny' },
      { role: 'user', content: 'Here are the results. Which is warmer?' },
    ]);
  });

  it('prefixes error results with "Error: "', () => {
    const out = translate({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ENOENT: no such file', is_error: true }] }] });
    assert.deepEqual(out.messages, [{ role: 'tool', tool_call_id: 'toolu_1', content: 'Error: ENOENT: no such file' }]);
  });

  it('moves images out of tool results into a following user message', () => {
    const out = translate({
      messages: [{
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_shot', content: [{ type: 'text', text: 'Screenshot taken' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] },
          { type: 'text', text: 'What do you see?' },
        ],
      }],
    });
    assert.deepEqual(out.messages, [
      { role: 'tool', tool_call_id: 'toolu_shot', content: 'Screenshot taken' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }, { type: 'text', text: 'What do you see?' }] },
    ]);
  });

  it('sends empty or missing tool result content as ""', () => {
    const out = translate({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1' }] }] });
    assert.deepEqual(out.messages, [{ role: 'tool', tool_call_id: 'toolu_1', content: '' }]);
  });

  it('gives OpenAI-compatible upstreams back the tool ids they issued', () => {
    const encoded = toAnthropicToolId('functions.Bash:0');
    const out = translate({
      messages: [
        { role: 'user', content: 'ls' },
        { role: 'assistant', content: [{ type: 'tool_use', id: encoded, name: 'Bash', input: { command: 'ls' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: encoded, content: 'README.md' }] },
      ],
    });
    assert.equal((out.messages[1]!.tool_calls ?? [])[0]!.id, 'functions.Bash:0');
    assert.equal(out.messages[2]!.tool_call_id, 'functions.Bash:0');
  });

  it('keeps in-place system turns in place', () => {
    const out = translate({ messages: [{ role: 'user', content: 'a' }, { role: 'system', content: 'Now answer in Spanish.' }, { role: 'user', content: 'b' }] });
    assert.deepEqual(out.messages.map((m) => m.role), ['user', 'system', 'user']);
  });

  it('rejects malformed messages with the field at fault', () => {
    rejects({ messages: 'hi' }, 'SB_INVALID_REQUEST', 'messages');
    rejects({ messages: [{ role: 'tool', content: 'x' }] }, 'SB_INVALID_REQUEST', 'messages.0.role');
    rejects({ messages: [{ role: 'user', content: 7 }] }, 'SB_INVALID_REQUEST', 'messages.0.content');
    rejects({ messages: [{ role: 'user', content: ['text'] }] }, 'SB_INVALID_REQUEST', 'messages.0.content.0');
    rejects({ messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }, 'SB_INVALID_REQUEST', 'messages.0.content.0.tool_use_id');
    rejects({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', input: {} }] }] }, 'SB_INVALID_REQUEST', 'messages.0.content.0.name');
    rejects({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] }, 'SB_INVALID_REQUEST', 'messages.0.content.0.source');
    rejects({ messages: [{ role: 'user', content: [{ type: 'search_result' }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0.type');
    rejects({ messages: [{ role: 'assistant', content: [{ type: 'server_tool_use' }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0.type');
  });

  it('answers any garbage with a GatewayError, never a crash', () => {
    const garbage: unknown[] = [undefined, null, 0, '', 'x', true, [], {}, [null], [{}]];
    for (const g of garbage) {
      const bodies: Array<Record<string, unknown>> = [
        { messages: g }, { messages: [g] }, { system: g }, { system: [g] }, { tools: g }, { tools: [g] }, { tool_choice: g },
        { messages: [{ role: 'user', content: [{ type: 'image', source: g }] }] },
        { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'x', content: g }] }] },
        { messages: [{ role: 'user', content: [{ type: 'document', source: g }] }] },
        { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: g, name: g, input: g }] }] },
        { thinking: g, output_config: g, metadata: g, stop_sequences: g, temperature: g },
      ];
      for (const body of bodies) {
        try {
          translate(body);
        } catch (err) {
          assert.ok(err instanceof GatewayError, `${JSON.stringify(body)} threw ${String(err)}`);
        }
      }
    }
  });
});

describe('anthropicToOpenAIRequest: tools', () => {
  it('converts client tools', () => {
    const expected = [
      { type: 'function', function: { name: 'Read', parameters: TOOLS[0]!.input_schema, description: 'Reads a file' } },
      { type: 'function', function: { name: 'Bash', parameters: TOOLS[1]!.input_schema } },
    ];
    assert.deepEqual(translate({ tools: TOOLS }).tools, expected);
    assert.deepEqual(translate({ tools: CACHED_TOOLS }, drop('cache_control')).tools, expected);
  });

  it('skips server tools when server_tools is dropped, and sends no tools or tool_choice when nothing is left', () => {
    const out = translate({ tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }, { type: 'custom', name: 'lookup', input_schema: { type: 'object' } }] }, drop('server_tools'));
    assert.deepEqual(out.tools?.map((t) => t.function.name), ['lookup']);
    const none = translate({ tools: [{ type: 'bash_20250124', name: 'bash' }], tool_choice: { type: 'any' } }, drop('server_tools'));
    assert.equal('tools' in none, false);
    assert.equal('tool_choice' in none, false);
  });

  it('maps every tool_choice, and disable_parallel_tool_use to parallel_tool_calls false', () => {
    assert.equal(translate({ tools: TOOLS, tool_choice: { type: 'auto' } }).tool_choice, 'auto');
    assert.equal(translate({ tools: TOOLS, tool_choice: { type: 'any' } }).tool_choice, 'required');
    assert.equal(translate({ tools: TOOLS, tool_choice: { type: 'none' } }).tool_choice, 'none');
    assert.deepEqual(translate({ tools: TOOLS, tool_choice: { type: 'tool', name: 'Read' } }).tool_choice, { type: 'function', function: { name: 'Read' } });
    const serial = translate({ tools: TOOLS, tool_choice: { type: 'auto', disable_parallel_tool_use: true } });
    assert.equal(serial.parallel_tool_calls, false);
    assert.equal('parallel_tool_calls' in translate({ tools: TOOLS, tool_choice: { type: 'auto' } }), false);
  });

  it('rejects malformed tools and choices', () => {
    rejects({ tools: {} }, 'SB_INVALID_REQUEST', 'tools');
    rejects({ tools: [{ input_schema: {} }] }, 'SB_INVALID_REQUEST', 'tools.0.name');
    rejects({ tools: TOOLS, tool_choice: { type: 'sometimes' } }, 'SB_INVALID_REQUEST', 'tool_choice.type');
    rejects({ tools: TOOLS, tool_choice: { type: 'tool' } }, 'SB_INVALID_REQUEST', 'tool_choice.name');
  });
});

describe('anthropicToOpenAIRequest: parameters OpenAI cannot honour', () => {
  it('refuses each top-level parameter without an OpenAI form', () => {
    rejects({ top_k: 40 }, 'SB_UNSUPPORTED_PARAMETER', 'top_k');
    rejects({ cache_control: { type: 'ephemeral' } }, 'SB_UNSUPPORTED_PARAMETER', 'cache_control');
    rejects({ container: 'container_011' }, 'SB_UNSUPPORTED_PARAMETER', 'container');
    rejects({ inference_geo: 'us' }, 'SB_UNSUPPORTED_PARAMETER', 'inference_geo');
    rejects({ speed: 'fast' }, 'SB_UNSUPPORTED_PARAMETER', 'speed');
    rejects({ mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }] }, 'SB_UNSUPPORTED_PARAMETER', 'mcp_servers');
    rejects({ context_management: { edits: [{ type: 'clear_tool_uses_20250919' }] } }, 'SB_UNSUPPORTED_PARAMETER', 'context_management');
  });

  it('passes values that ask for nothing, and ignores diagnostics', () => {
    const out = translate({ speed: 'standard', mcp_servers: [], top_k: null, diagnostics: { previous_message_id: 'msg_01' } });
    assert.deepEqual(Object.keys(out).sort(), ['max_completion_tokens', 'messages', 'model']);
  });

  it('names the parameter, the model, the provider and dropParams in the refusal', () => {
    assert.throws(() => anthropicToOpenAIRequest({ model: 'x', max_tokens: 10, messages: [], top_k: 5 } as AnthropicMessagesRequest, 'gpt-4.1', { provider: 'openai' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.match(err.message, /^top_k: OpenAI has no top-k sampling, so model "gpt-4\.1" \(provider "openai"\) cannot honour it\..*"top_k" in dropParams/);
      return true;
    });
  });

  it('refuses cache_control wherever it occurs, with its path', () => {
    const cached = { cache_control: { type: 'ephemeral' } };
    rejects({ system: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', ...cached }] }, 'SB_UNSUPPORTED_PARAMETER', 'system.1.cache_control');
    rejects({ messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b', ...cached }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.1.cache_control');
    rejects({ messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'r', ...cached }] }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.0.content.0.content.0.cache_control');
    rejects({ messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {}, ...cached }] }] }, 'SB_UNSUPPORTED_PARAMETER', 'messages.1.content.0.cache_control');
    rejects({ tools: CACHED_TOOLS }, 'SB_UNSUPPORTED_PARAMETER', 'tools.0.cache_control');
  });

  it('drops cache_control everywhere when it is listed', () => {
    const cached = { cache_control: { type: 'ephemeral' } };
    const out = translate({
      cache_control: { type: 'ephemeral' },
      system: [{ type: 'text', text: 'Be brief.', ...cached }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi', ...cached }] }],
      tools: CACHED_TOOLS,
    }, drop('cache_control'));
    assert.deepEqual(out.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    assert.equal(out.tools?.length, 2);
    assert.equal(JSON.stringify(out).includes('cache_control'), false);
  });

  it('refuses every kind of server tool at its index', () => {
    for (const type of ['web_search_20250305', 'bash_20250124', 'text_editor_20250728', 'code_execution_20250825', 'computer_20250124']) {
      rejects({ tools: [...TOOLS, { type, name: 'server' }] }, 'SB_UNSUPPORTED_PARAMETER', 'tools.2');
    }
  });

  it('drops listed top-level parameters, mappable ones too, without touching the caller\'s body', () => {
    const body = { top_k: 40, temperature: 0.3, container: 'c_1', max_tokens: 1024, model: 'claude', messages: [{ role: 'user', content: 'Hi' }] };
    const out = anthropicToOpenAIRequest(body as AnthropicMessagesRequest, MODEL, drop('top_k', 'temperature', 'container'));
    assert.deepEqual(out, { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_completion_tokens: 1024 });
    assert.equal(body.top_k, 40);
  });
});

describe('anthropicToOpenAIRequest: thinking and models that do not reason', () => {
  const ENABLED = { thinking: { type: 'enabled', budget_tokens: 2048 } };

  it('refuses enabled thinking for a model that does not reason, judged from its id', () => {
    rejects(ENABLED, 'SB_UNSUPPORTED_PARAMETER', 'thinking', {}, 'gpt-4.1');
    rejects({ output_config: { effort: 'high' } }, 'SB_UNSUPPORTED_PARAMETER', 'output_config.effort', {}, 'gpt-4o-mini');
    rejects({ ...ENABLED, output_config: { effort: 'high' } }, 'SB_UNSUPPORTED_PARAMETER', 'thinking', {}, 'gpt-4o-mini');
  });

  it('passes disabled and adaptive thinking to a model that does not reason, sending no reasoning_effort', () => {
    assert.equal('reasoning_effort' in translate({ thinking: { type: 'disabled' } }, {}, 'gpt-4.1'), false);
    assert.equal('reasoning_effort' in translate({ thinking: { type: 'adaptive' } }, {}, 'gpt-4.1'), false);
  });

  it('maps thinking for a model that reasons', () => {
    assert.equal(translate(ENABLED, {}, 'gpt-5-mini').reasoning_effort, 'low');
    assert.equal(translate(ENABLED, {}, 'openai/o4-mini').reasoning_effort, 'low');
  });

  it('lets the configured reasoning flag win over the id', () => {
    assert.equal(translate(ENABLED, { reasoning: true }, 'deepseek-reasoner').reasoning_effort, 'low');
    rejects(ENABLED, 'SB_UNSUPPORTED_PARAMETER', 'thinking', { reasoning: false }, 'o3');
  });

  it('drops thinking when it is listed', () => {
    const out = translate(ENABLED, drop('thinking'), 'gpt-4.1');
    assert.equal('reasoning_effort' in out, false);
  });
});
