import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnthropicMessage } from './anthropic-types.ts';
import { anthropicToOpenAIResponse } from './anthropic-to-openai-response.ts';
import { AnthropicToOpenAIStream } from './anthropic-to-openai-stream.ts';
import { openaiPayloads, replay } from './fixtures/replay.ts';
import { JSON_TOOL_NAME, jsonResponseTool, jsonToolNameFor } from './json-response-tool.ts';
import type { OpenAIChatRequest } from './openai-types.ts';
import { openaiToAnthropicRequest } from './openai-to-anthropic-request.ts';
import { sseEncode } from '../../upstream/sse-parser.ts';

/** A structured-output request as the OpenAI SDK's zodResponseFormat helper sends it. */
const REQUEST = {
  model: 'claude-sonnet',
  messages: [{ role: 'user', content: 'Extract: "Ada Lovelace was born in 1815."' }],
  response_format: {
    type: 'json_schema',
    json_schema: {
      name: 'person',
      strict: true,
      schema: { type: 'object', properties: { name: { type: 'string' }, born: { type: 'integer' } }, required: ['name', 'born'], additionalProperties: false },
    },
  },
} as OpenAIChatRequest;

/** What Claude answers when the tool is forced. */
function forcedToolAnswer(name: string, input: Record<string, unknown>): AnthropicMessage {
  return {
    id: 'msg_01JsonT00lEmu1at10nAbCdE', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929',
    content: [{ type: 'tool_use', id: 'toolu_01JsonRespXq7Lm2Nb8Vc4Zx', name, input }],
    stop_reason: 'tool_use', stop_sequence: null,
    usage: { input_tokens: 210, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 31 },
  };
}

describe('JSON mode emulation round trip', () => {
  it('non-streaming: schema → forced tool → tool input → JSON content with finish stop', () => {
    const upstream = openaiToAnthropicRequest(REQUEST, 'claude-sonnet-4-5-20250929', { defaultMaxTokens: 4096 });
    assert.deepEqual(upstream.tool_choice, { type: 'tool', name: JSON_TOOL_NAME, disable_parallel_tool_use: true });
    assert.deepEqual(upstream.tools?.[0]?.input_schema, REQUEST.response_format?.json_schema?.schema);

    const jsonToolName = jsonToolNameFor(REQUEST);
    assert.equal(jsonToolName, JSON_TOOL_NAME);
    const answer = forcedToolAnswer(upstream.tools![0]!.name, { name: 'Ada Lovelace', born: 1815 });
    const completion = anthropicToOpenAIResponse(answer, { model: 'claude-sonnet', jsonToolName: jsonToolName! });
    assert.deepEqual(JSON.parse(completion.choices[0]!.message.content!), { name: 'Ada Lovelace', born: 1815 });
    assert.equal(completion.choices[0]!.finish_reason, 'stop');
    assert.equal(completion.choices[0]!.message.tool_calls, undefined);
  });

  it('streaming: the tool input streams out as content deltas', () => {
    const sse = [
      sseEncode('{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":210,"output_tokens":1}}}', 'message_start'),
      sseEncode(`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"${JSON_TOOL_NAME}","input":{}}}`, 'content_block_start'),
      sseEncode('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"name\\": \\"Ada\\", "}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"born\\": 1815}"}}', 'content_block_delta'),
      sseEncode('{"type":"content_block_stop","index":0}', 'content_block_stop'),
      sseEncode('{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":31}}', 'message_delta'),
      sseEncode('{"type":"message_stop"}', 'message_stop'),
    ].join('');
    const payloads = openaiPayloads(replay(new AnthropicToOpenAIStream({ model: 'm', includeUsage: false, jsonToolName: jsonToolNameFor(REQUEST)! }), sse));
    const choices = payloads.flatMap((p) => (p === '[DONE]' ? [] : (p as { choices: Array<{ delta: { content?: string }; finish_reason: string | null }> }).choices));
    assert.deepEqual(JSON.parse(choices.map((c) => c.delta.content ?? '').join('')), { name: 'Ada', born: 1815 });
    assert.equal(choices.at(-1)!.finish_reason, 'stop');
  });

  it('streaming: a JSON tool called without input still yields "{}"', () => {
    const sse = [
      sseEncode('{"type":"message_start","message":{"id":"msg_1","usage":{}}}', 'message_start'),
      sseEncode(`{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"${JSON_TOOL_NAME}","input":{}}}`, 'content_block_start'),
      sseEncode('{"type":"content_block_stop","index":0}', 'content_block_stop'),
      sseEncode('{"type":"message_stop"}', 'message_stop'),
    ].join('');
    const payloads = openaiPayloads(replay(new AnthropicToOpenAIStream({ model: 'm', includeUsage: false, jsonToolName: JSON_TOOL_NAME }), sse));
    const text = payloads.flatMap((p) => (p === '[DONE]' ? [] : (p as { choices: Array<{ delta: { content?: string } }> }).choices)).map((c) => c.delta.content ?? '').join('');
    assert.equal(text, '{}');
  });
});

describe('jsonResponseTool', () => {
  it('uses the schema description when given', () => {
    const tool = jsonResponseTool({ type: 'json_schema', json_schema: { name: 'x', description: 'A person record.', schema: { properties: {} } } });
    assert.equal(tool?.description, 'A person record.');
    assert.deepEqual(tool?.input_schema, { type: 'object', properties: {} }, 'a schema without type becomes an object schema');
  });

  it('uses an open object schema when json_schema has no schema', () => {
    assert.deepEqual(jsonResponseTool({ type: 'json_schema', json_schema: { name: 'anything' } })?.input_schema, { type: 'object', additionalProperties: true, properties: {} });
  });

  it('answers undefined for no format and text', () => {
    assert.equal(jsonResponseTool(undefined), undefined);
    assert.equal(jsonResponseTool(null), undefined);
    assert.equal(jsonResponseTool({ type: 'text' }), undefined);
  });
});
