import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../errors/catalogue.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { OpenAIChatRequest } from './openai-types.ts';
import { JSON_TOOL_NAME, jsonToolNameFor, openaiToAnthropicRequest, type OpenAIToAnthropicOptions } from './openai-to-anthropic-request.ts';

const MODEL = 'claude-sonnet-4-5-20250929';
const USER = [{ role: 'user', content: 'Hello' }];

type Extra = Partial<OpenAIToAnthropicOptions>;

function translate(body: Record<string, unknown>, extra: Extra = {}, model = MODEL): ReturnType<typeof openaiToAnthropicRequest> {
  return openaiToAnthropicRequest({ model: 'gpt-4o', messages: USER, ...body } as OpenAIChatRequest, model, { defaultMaxTokens: 4096, ...extra });
}

function rejects(body: Record<string, unknown>, code: ErrorCode, param: string, extra: Extra = {}, model = MODEL): void {
  assert.throws(() => translate(body, extra, model), (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.param, param);
    return true;
  });
}

/** Two function tools as the OpenAI SDK sends them. */
const WEATHER_TOOLS = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      strict: true,
    },
  },
  { type: 'function', function: { name: 'get_time' } },
];

describe('openaiToAnthropicRequest: envelope and parameters', () => {
  it('builds a minimal request with the upstream model and default max_tokens', () => {
    assert.deepEqual(translate({}), { model: MODEL, max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
  });

  it('puts the hoisted system prompt at top level', () => {
    const out = translate({ messages: [{ role: 'system', content: 'Be brief.' }, ...USER] });
    assert.equal(out.system, 'Be brief.');
    assert.equal(out.messages.length, 1);
  });

  it('takes max_completion_tokens over max_tokens over the default', () => {
    assert.equal(translate({ max_tokens: 300 }).max_tokens, 300);
    assert.equal(translate({ max_tokens: 300, max_completion_tokens: 500 }).max_tokens, 500);
    assert.equal(translate({ max_tokens: null, max_completion_tokens: null }).max_tokens, 4096);
  });

  it('rejects a max_tokens that is not a positive integer', () => {
    rejects({ max_tokens: 0 }, 'SB_INVALID_REQUEST', 'max_tokens');
    rejects({ max_completion_tokens: 1.5 }, 'SB_INVALID_REQUEST', 'max_completion_tokens');
    rejects({ max_completion_tokens: '100' }, 'SB_INVALID_REQUEST', 'max_completion_tokens');
  });

  it('clamps temperature into Anthropic\'s [0, 1] without rescaling', () => {
    assert.equal(translate({ temperature: 1.7 }).temperature, 1);
    assert.equal(translate({ temperature: 2 }).temperature, 1);
    assert.equal(translate({ temperature: 0.3 }).temperature, 0.3);
    assert.equal(translate({ temperature: -0.5 }).temperature, 0);
    assert.equal(translate({ temperature: null }).temperature, undefined);
    rejects({ temperature: 'hot' }, 'SB_INVALID_REQUEST', 'temperature');
  });

  it('sends top_p alone, but not next to temperature (recent Claude models reject both)', () => {
    assert.equal(translate({ top_p: 0.9 }).top_p, 0.9);
    const both = translate({ top_p: 0.9, temperature: 0.5 });
    assert.equal(both.top_p, undefined);
    assert.equal(both.temperature, 0.5);
  });

  it('maps stop to stop_sequences, dropping whitespace-only ones', () => {
    assert.deepEqual(translate({ stop: 'END' }).stop_sequences, ['END']);
    assert.deepEqual(translate({ stop: ['\n\nHuman:', ' ', '\n', 'STOP'] }).stop_sequences, ['\n\nHuman:', 'STOP']);
    assert.equal('stop_sequences' in translate({ stop: ['\n', '\t'] }), false);
    assert.equal('stop_sequences' in translate({ stop: null }), false);
    rejects({ stop: ['ok', 3] }, 'SB_INVALID_REQUEST', 'stop');
  });

  it('rejects n > 1 as an unsupported parameter and accepts n = 1', () => {
    rejects({ n: 2 }, 'SB_UNSUPPORTED_PARAMETER', 'n');
    assert.doesNotThrow(() => translate({ n: 1 }));
    assert.doesNotThrow(() => translate({ n: null }));
    rejects({ n: 0 }, 'SB_INVALID_REQUEST', 'n');
    rejects({ n: '2' }, 'SB_INVALID_REQUEST', 'n');
  });

  it('passes stream through and drops stream_options (Anthropic always streams usage)', () => {
    const out = translate({ stream: true, stream_options: { include_usage: true } });
    assert.equal(out.stream, true);
    assert.equal('stream_options' in out, false);
    assert.equal('stream' in translate({ stream: false }), false);
  });

  it('ignores what only concerns the caller\'s records at OpenAI, and values that ask for nothing', () => {
    const out = translate({ store: true, metadata: { run: '1' }, modalities: ['text'], presence_penalty: 0, frequency_penalty: 0, logprobs: false, logit_bias: {}, seed: null });
    assert.deepEqual(Object.keys(out).sort(), ['max_tokens', 'messages', 'model']);
  });

  it('sends user as metadata.user_id, but never an email or phone number', () => {
    assert.deepEqual(translate({ user: 'user-3f9a2c' }).metadata, { user_id: 'user-3f9a2c' });
    assert.deepEqual(translate({ safety_identifier: 'hash-77ab' }).metadata, { user_id: 'hash-77ab' });
    for (const user of ['ada@example.com', '+1 (415) 555-0134', '4155550134', '', 'x'.repeat(300)]) assert.equal(translate({ user }).metadata, undefined, user);
  });

  it('rejects a body that is not an object', () => {
    assert.throws(() => openaiToAnthropicRequest(null as unknown as OpenAIChatRequest, MODEL, { defaultMaxTokens: 1 }), GatewayError);
  });
});

describe('openaiToAnthropicRequest: reasoning_effort', () => {
  it('enables thinking with a budget and drops sampling parameters', () => {
    const out = translate({ reasoning_effort: 'medium', temperature: 0.2, top_p: 0.5, max_completion_tokens: 8000 });
    assert.deepEqual(out.thinking, { type: 'enabled', budget_tokens: 2048 });
    assert.equal(out.max_tokens, 8000);
    assert.equal(out.temperature, undefined);
    assert.equal(out.top_p, undefined);
  });

  it('grows max_tokens when it would not exceed the budget', () => {
    const out = translate({ reasoning_effort: 'high', max_tokens: 1000 });
    assert.equal(out.max_tokens, 5096);
    assert.ok(out.max_tokens > 4096);
  });

  it('sends thinking disabled for none and rejects unknown efforts', () => {
    assert.deepEqual(translate({ reasoning_effort: 'none' }).thinking, { type: 'disabled' });
    rejects({ reasoning_effort: 'ultra' }, 'SB_INVALID_REQUEST', 'reasoning_effort');
  });
});

describe('openaiToAnthropicRequest: tools', () => {
  it('converts function tools, defaulting the schema and dropping strict', () => {
    assert.deepEqual(translate({ tools: WEATHER_TOOLS }).tools, [
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      },
      { name: 'get_time', input_schema: { type: 'object', properties: {} } },
    ]);
  });

  it('sends no tool_choice when the caller set none', () => {
    assert.equal('tool_choice' in translate({ tools: WEATHER_TOOLS }), false);
  });

  it('maps every tool_choice form', () => {
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: 'auto' }).tool_choice, { type: 'auto' });
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: 'required' }).tool_choice, { type: 'any' });
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: 'none' }).tool_choice, { type: 'none' });
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } } }).tool_choice, { type: 'tool', name: 'get_time' });
  });

  it('keeps tools with tool_choice none, since the history may hold tool blocks (litellm#4689)', () => {
    assert.equal(translate({ tools: WEATHER_TOOLS, tool_choice: 'none' }).tools?.length, 2);
  });

  it('maps parallel_tool_calls:false to disable_parallel_tool_use', () => {
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, parallel_tool_calls: false }).tool_choice, { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: 'required', parallel_tool_calls: false }).tool_choice, { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(translate({ tools: WEATHER_TOOLS, tool_choice: 'none', parallel_tool_calls: false }).tool_choice, { type: 'none' });
    assert.equal('tool_choice' in translate({ tools: WEATHER_TOOLS, parallel_tool_calls: true }), false);
  });

  it('offers only the allowed tools for allowed_tools', () => {
    const out = translate({ tools: WEATHER_TOOLS, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_time' } }] } } });
    assert.deepEqual(out.tools?.map((t) => t.name), ['get_time']);
    assert.deepEqual(out.tool_choice, { type: 'any' });
  });

  it('drops tool_choice and parallel_tool_calls when there are no tools', () => {
    const out = translate({ tool_choice: 'required', parallel_tool_calls: false });
    assert.equal('tools' in out, false);
    assert.equal('tool_choice' in out, false);
  });

  it('maps the deprecated functions and function_call', () => {
    const out = translate({ functions: [{ name: 'now', parameters: { type: 'object', properties: {} } }], function_call: { name: 'now' } });
    assert.deepEqual(out.tools, [{ name: 'now', input_schema: { type: 'object', properties: {} } }]);
    assert.deepEqual(out.tool_choice, { type: 'tool', name: 'now' });
    assert.deepEqual(translate({ functions: [{ name: 'now' }], function_call: 'none' }).tool_choice, { type: 'none' });
  });

  it('rejects custom tools and malformed tool fields', () => {
    rejects({ tools: [{ type: 'custom', custom: { name: 'grammar' } }] }, 'SB_UNSUPPORTED_PARAMETER', 'tools.0.type');
    rejects({ tools: 'get_weather' }, 'SB_INVALID_REQUEST', 'tools');
    rejects({ tools: [{ type: 'function', function: { description: 'no name' } }] }, 'SB_INVALID_REQUEST', 'tools.0.function.name');
    rejects({ tools: WEATHER_TOOLS, tool_choice: 'sometimes' }, 'SB_INVALID_REQUEST', 'tool_choice');
    rejects({ tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: {} } }, 'SB_INVALID_REQUEST', 'tool_choice.function.name');
    rejects({ tools: WEATHER_TOOLS, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'maybe', tools: [] } } }, 'SB_INVALID_REQUEST', 'tool_choice.allowed_tools.mode');
  });
});

describe('openaiToAnthropicRequest: response_format emulation', () => {
  const PERSON = {
    type: 'json_schema',
    json_schema: {
      name: 'person',
      strict: true,
      schema: { type: 'object', properties: { name: { type: 'string' }, born: { type: 'integer' } }, required: ['name', 'born'], additionalProperties: false },
    },
  };

  it('forces a tool whose input schema is the requested schema', () => {
    const out = translate({ response_format: PERSON });
    assert.deepEqual(out.tools, [{ name: JSON_TOOL_NAME, description: 'Respond with a JSON object (person) that matches the input schema.', input_schema: PERSON.json_schema.schema }]);
    assert.deepEqual(out.tool_choice, { type: 'tool', name: JSON_TOOL_NAME, disable_parallel_tool_use: true });
    assert.equal(jsonToolNameFor({ response_format: PERSON }), JSON_TOOL_NAME);
  });

  it('uses an open object schema for json_object', () => {
    const out = translate({ response_format: { type: 'json_object' } });
    assert.deepEqual(out.tools?.[0]?.input_schema, { type: 'object', additionalProperties: true, properties: {} });
    assert.equal(jsonToolNameFor({ response_format: { type: 'json_object' } }), JSON_TOOL_NAME);
  });

  it('does nothing for response_format text', () => {
    assert.equal('tools' in translate({ response_format: { type: 'text' } }), false);
    assert.equal(jsonToolNameFor({ response_format: { type: 'text' } }), undefined);
    assert.equal(jsonToolNameFor({}), undefined);
    assert.equal(jsonToolNameFor(null), undefined);
  });

  it('with the caller\'s own tools, requires some tool call: a real one or the JSON answer', () => {
    const out = translate({ response_format: PERSON, tools: WEATHER_TOOLS });
    assert.deepEqual(out.tools?.map((t) => t.name), ['get_weather', 'get_time', JSON_TOOL_NAME]);
    assert.deepEqual(out.tool_choice, { type: 'any' });
    assert.deepEqual(translate({ response_format: PERSON, tools: WEATHER_TOOLS, tool_choice: { type: 'function', function: { name: 'get_time' } } }).tool_choice, { type: 'tool', name: 'get_time' });
    assert.deepEqual(translate({ response_format: PERSON, tools: WEATHER_TOOLS, tool_choice: 'none' }).tool_choice, { type: 'tool', name: JSON_TOOL_NAME, disable_parallel_tool_use: true });
  });

  it('only offers the tool when thinking is on (forced tool use is refused with thinking)', () => {
    assert.deepEqual(translate({ response_format: PERSON, reasoning_effort: 'low' }).tool_choice, { type: 'auto' });
  });

  it('rejects a caller tool with the reserved name, and non-object schemas', () => {
    rejects({ response_format: PERSON, tools: [{ type: 'function', function: { name: JSON_TOOL_NAME } }] }, 'SB_INVALID_REQUEST', 'tools');
    rejects({ response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array' } } } }, 'SB_UNSUPPORTED_PARAMETER', 'response_format.json_schema.schema');
    rejects({ response_format: { type: 'xml' } }, 'SB_INVALID_REQUEST', 'response_format.type');
    rejects({ response_format: 'json' }, 'SB_INVALID_REQUEST', 'response_format');
    rejects({ response_format: { type: 'json_schema' } }, 'SB_INVALID_REQUEST', 'response_format.json_schema');
  });
});

describe('openaiToAnthropicRequest: a realistic agent turn end to end', () => {
  it('translates system, images, parallel tool calls and results, tools and options together', () => {
    const out = openaiToAnthropicRequest({
      model: 'claude-sonnet',
      messages: [
        { role: 'developer', content: 'You are a weather bot.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather where these photos were taken?' }, { type: 'image_url', image_url: { url: 'https://example.com/eiffel.jpg' } }] },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_B', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_A', content: '18°C' },
        { role: 'tool', tool_call_id: 'call_B', content: '14:05' },
      ],
      tools: WEATHER_TOOLS,
      tool_choice: 'auto',
      max_completion_tokens: 1024,
      temperature: 1.2,
      stop: ['Observation:'],
      stream: true,
      user: 'tenant-42',
    } as OpenAIChatRequest, MODEL, { defaultMaxTokens: 4096 });
    assert.deepEqual(out, {
      model: MODEL,
      max_tokens: 1024,
      system: 'You are a weather bot.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather where these photos were taken?' }, { type: 'image', source: { type: 'url', url: 'https://example.com/eiffel.jpg' } }] },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'call_A', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'call_B', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'call_A', content: '18°C' },
            { type: 'tool_result', tool_use_id: 'call_B', content: '14:05' },
          ],
        },
      ],
      temperature: 1,
      stop_sequences: ['Observation:'],
      tools: [
        { name: 'get_weather', description: 'Current weather for a city', input_schema: WEATHER_TOOLS[0]!.function.parameters },
        { name: 'get_time', input_schema: { type: 'object', properties: {} } },
      ],
      tool_choice: { type: 'auto' },
      metadata: { user_id: 'tenant-42' },
      stream: true,
    });
  });
});

describe('openaiToAnthropicRequest: parameters Anthropic cannot honour', () => {
  it('refuses each parameter without an Anthropic form', () => {
    const refused: Record<string, unknown> = {
      logprobs: true, top_logprobs: 3, logit_bias: { 50256: -100 }, seed: 7, frequency_penalty: 0.5, presence_penalty: -0.5,
      audio: { voice: 'alloy', format: 'wav' }, modalities: ['text', 'audio'], prediction: { type: 'content', content: 'x' },
      verbosity: 'low', web_search_options: {}, moderation: { model: 'omni-moderation-latest' },
      prompt_cache_key: 'tenant-1', prompt_cache_options: { mode: 'explicit' }, prompt_cache_retention: '24h',
    };
    for (const [param, value] of Object.entries(refused)) rejects({ [param]: value }, 'SB_UNSUPPORTED_PARAMETER', param);
  });

  it('names the parameter, the model, the provider and dropParams in the refusal', () => {
    assert.throws(() => translate({ logit_bias: { 1: 5 } }, { provider: 'anthropic' }), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.match(err.message, /^logit_bias: Anthropic has no token biasing, so model "claude-sonnet-4-5-20250929" \(provider "anthropic"\) cannot honour it\..*"logit_bias" in dropParams/);
      return true;
    });
  });

  it('mentions dropParams when refusing n > 1', () => {
    assert.throws(() => translate({ n: 3 }), (err: unknown) => err instanceof GatewayError && err.message.includes('"n" in dropParams'));
  });

  it('maps service_tier auto and default, and refuses the tiers Anthropic lacks', () => {
    assert.equal(translate({ service_tier: 'auto' }).service_tier, 'auto');
    assert.equal(translate({ service_tier: 'default' }).service_tier, 'standard_only');
    for (const tier of ['flex', 'scale', 'priority']) rejects({ service_tier: tier }, 'SB_UNSUPPORTED_PARAMETER', 'service_tier');
    rejects({ service_tier: 3 }, 'SB_INVALID_REQUEST', 'service_tier');
  });

  it('drops listed parameters instead of refusing, mappable ones too, without touching the caller\'s body', () => {
    const body = { model: 'gpt-4o', messages: USER, logit_bias: { 1: 5 }, seed: 7, n: 2, temperature: 0.5 };
    const out = openaiToAnthropicRequest(body as OpenAIChatRequest, MODEL, { defaultMaxTokens: 100, dropParams: new Set(['logit_bias', 'seed', 'n', 'temperature']) });
    assert.deepEqual(out, { model: MODEL, max_tokens: 100, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] });
    assert.equal(body.seed, 7);
  });

  it('adds no emulation tool when response_format is dropped', () => {
    assert.equal('tools' in translate({ response_format: { type: 'json_object' } }, { dropParams: new Set(['response_format']) }), false);
  });
});

describe('openaiToAnthropicRequest: reasoning_effort and models that do not think', () => {
  it('refuses an effort for a Claude model that does not think, judged from its id', () => {
    rejects({ reasoning_effort: 'low' }, 'SB_UNSUPPORTED_PARAMETER', 'reasoning_effort', {}, 'claude-3-5-haiku-20241022');
    rejects({ reasoning_effort: 'high' }, 'SB_UNSUPPORTED_PARAMETER', 'reasoning_effort', {}, 'claude-3-opus-20240229');
  });

  it('sends no thinking field for none to a model that does not think, and still rejects bad values', () => {
    assert.equal('thinking' in translate({ reasoning_effort: 'none' }, {}, 'claude-3-5-haiku-20241022'), false);
    rejects({ reasoning_effort: 'ultra' }, 'SB_INVALID_REQUEST', 'reasoning_effort', {}, 'claude-3-5-haiku-20241022');
  });

  it('maps the effort for models that think', () => {
    for (const model of ['claude-3-7-sonnet-20250219', 'claude-opus-4-1-20250805', 'claude-haiku-4-5', 'claude-sonnet-4-20250514']) {
      assert.deepEqual(translate({ reasoning_effort: 'low' }, {}, model).thinking, { type: 'enabled', budget_tokens: 1024 }, model);
    }
  });

  it('lets the configured reasoning flag win over the id', () => {
    assert.deepEqual(translate({ reasoning_effort: 'low' }, { reasoning: true }, 'claude-3-5-haiku-20241022').thinking, { type: 'enabled', budget_tokens: 1024 });
    rejects({ reasoning_effort: 'low' }, 'SB_UNSUPPORTED_PARAMETER', 'reasoning_effort', { reasoning: false });
  });

  it('drops reasoning_effort when it is listed, keeping the sampling parameters thinking would have removed', () => {
    const out = translate({ reasoning_effort: 'high', temperature: 0.2 }, { dropParams: new Set(['reasoning_effort']) }, 'claude-3-5-haiku-20241022');
    assert.equal('thinking' in out, false);
    assert.equal(out.temperature, 0.2);
  });
});
