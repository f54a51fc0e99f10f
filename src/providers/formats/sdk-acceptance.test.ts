/**
 * Acceptance by the real clients (DESIGN.md §8): what the translators write is read back by the official
 * `openai` and `@anthropic-ai/sdk` packages, served through a fetch stub instead of a network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { AnthropicMessage } from './anthropic-types.ts';
import { anthropicToOpenAIResponse } from './anthropic-to-openai-response.ts';
import { AnthropicToOpenAIStream } from './anthropic-to-openai-stream.ts';
import { fixture, replay, truncateEvents } from './fixtures/replay.ts';
import { JSON_TOOL_NAME } from './json-response-tool.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import { openaiToAnthropicResponse } from './openai-to-anthropic-response.ts';
import { OpenAIToAnthropicStream } from './openai-to-anthropic-stream.ts';

function answering(body: string, contentType: string): typeof fetch {
  return () => Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': contentType } }));
}

function openaiClient(body: string, contentType = 'text/event-stream'): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: 'http://gateway.test/v1', fetch: answering(body, contentType), maxRetries: 0 });
}

function anthropicClient(body: string, contentType = 'text/event-stream'): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: 'http://gateway.test', fetch: answering(body, contentType), maxRetries: 0 });
}

const CHAT = { model: 'claude-sonnet', messages: [{ role: 'user' as const, content: 'Hi' }] };
const MESSAGES = { model: 'gpt-4.1', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Hi' }] };

function toOpenAI(name: string, jsonToolName?: string): string {
  return replay(new AnthropicToOpenAIStream({ model: 'claude-sonnet', includeUsage: true, ...(jsonToolName === undefined ? {} : { jsonToolName }) }), fixture(name));
}

function toAnthropic(sse: string): string {
  return replay(new OpenAIToAnthropicStream({ model: 'gpt-4.1' }), sse);
}

describe('openai SDK reads translated Anthropic streams', () => {
  it('accumulates text and usage with ChatCompletionStream', async () => {
    const completion = await openaiClient(toOpenAI('anthropic-text-cached.sse.txt')).chat.completions.stream(CHAT).finalChatCompletion();
    assert.equal(completion.choices[0]?.message.content, 'Hello, wörld! 👋 你好');
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.equal(completion.usage?.total_tokens, 4640);
  });

  it('accumulates parallel tool calls with parseable arguments', async () => {
    const completion = await openaiClient(toOpenAI('anthropic-parallel-tools.sse.txt')).chat.completions.stream(CHAT).finalChatCompletion();
    const calls = completion.choices[0]?.message.tool_calls ?? [];
    assert.deepEqual(calls.map((c) => c.type === 'function' && [c.id, c.function.name, JSON.parse(c.function.arguments)]), [
      ['toolu_01A09q90qw90lq917835lq9', 'get_weather', { city: 'Paris', unit: 'c' }],
      ['toolu_01B7mKq2XvZ8nR4tL6wP3sJd', 'get_weather', { city: 'Tōkyō' }],
    ]);
    assert.equal(completion.choices[0]?.finish_reason, 'tool_calls');
  });

  it('parses "{}" for a tool without arguments', async () => {
    const completion = await openaiClient(toOpenAI('anthropic-tool-no-args.sse.txt')).chat.completions.stream(CHAT).finalChatCompletion();
    const call = completion.choices[0]?.message.tool_calls?.[0];
    assert.ok(call?.type === 'function');
    assert.deepEqual(JSON.parse(call.function.arguments), {});
  });

  it('reads the emulated JSON answer as content', async () => {
    const completion = await openaiClient(toOpenAI('anthropic-json-tool.sse.txt', JSON_TOOL_NAME)).chat.completions.stream(CHAT).finalChatCompletion();
    assert.deepEqual(JSON.parse(completion.choices[0]?.message.content ?? ''), { name: 'Ada Lovelace', born: 1815 });
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
  });

  it('throws on a mid-stream upstream error', async () => {
    const stream = await openaiClient(toOpenAI('anthropic-overloaded.sse.txt')).chat.completions.create({ ...CHAT, stream: true });
    await assert.rejects(async () => {
      for await (const _chunk of stream) { /* drain */ }
    }, (err: unknown) => err instanceof OpenAI.APIError && /Overloaded/.test(err.message));
  });

  it('throws on a truncated stream instead of reporting a finished answer', async () => {
    const body = replay(new AnthropicToOpenAIStream({ model: 'm', includeUsage: true }), truncateEvents(fixture('anthropic-text-cached.sse.txt'), 5));
    await assert.rejects(openaiClient(body).chat.completions.stream(CHAT).finalChatCompletion(), OpenAI.APIError);
  });
});

describe('@anthropic-ai/sdk reads translated OpenAI streams', () => {
  it('accumulates text and usage with MessageStream', async () => {
    const message = await anthropicClient(toAnthropic(fixture('openai-text-cached.sse.txt'))).messages.stream(MESSAGES).finalMessage();
    assert.deepEqual(message.content.map((b) => b.type === 'text' && b.text), ['Holiday greetings, wörld 👋']);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 86);
    assert.equal(message.usage.cache_read_input_tokens, 1920);
    assert.equal(message.usage.output_tokens, 300);
  });

  it('accumulates parallel tool_use inputs', async () => {
    const message = await anthropicClient(toAnthropic(fixture('openai-parallel-tools.sse.txt'))).messages.stream(MESSAGES).finalMessage();
    assert.deepEqual(message.content.map((b) => b.type === 'tool_use' && [b.id, b.name, b.input]), [
      ['call_O17Uplv4lJvD6DVdIvFFeRMw', 'get_weather', { city: 'Paris' }],
      ['call_Yk2fT9rM3nB8vC1xZ6wQ4pLs', 'get_weather', { city: 'Tōkyō' }],
    ]);
    assert.equal(message.stop_reason, 'tool_use');
  });

  it('accumulates reasoning as a thinking block', async () => {
    const message = await anthropicClient(toAnthropic(fixture('openai-reasoning.sse.txt'))).messages.stream(MESSAGES).finalMessage();
    assert.deepEqual(message.content.map((b) => b.type), ['thinking', 'text']);
  });

  it('throws on a mid-stream upstream error', async () => {
    await assert.rejects(anthropicClient(toAnthropic(fixture('openai-error.sse.txt'))).messages.stream(MESSAGES).finalMessage(), (err: unknown) => err instanceof Anthropic.APIError && /server had an error/.test(err.message));
  });

  it('throws on a truncated stream', async () => {
    const body = toAnthropic(truncateEvents(fixture('openai-parallel-tools.sse.txt'), 4));
    await assert.rejects(anthropicClient(body).messages.stream(MESSAGES).finalMessage());
  });
});

describe('SDKs read translated non-streaming responses', () => {
  it('openai reads a translated Anthropic message with tool calls', async () => {
    const msg = {
      id: 'msg_01Aq9w938a90dw8q', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', stop_reason: 'tool_use', stop_sequence: null,
      content: [{ type: 'text', text: "I'll check." }, { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { city: 'Paris' } }],
      usage: { input_tokens: 10, cache_creation_input_tokens: 5, cache_read_input_tokens: 20, output_tokens: 7 },
    } as AnthropicMessage;
    const body = JSON.stringify(anthropicToOpenAIResponse(msg, { model: 'claude-sonnet' }));
    const completion = await openaiClient(body, 'application/json').chat.completions.create(CHAT);
    assert.equal(completion.choices[0]?.message.tool_calls?.[0]?.id, 'toolu_01A');
    assert.equal(completion.usage?.prompt_tokens, 35);
  });

  it('anthropic reads a translated OpenAI completion', async () => {
    const c = {
      id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt-4.1',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 },
    } as OpenAIChatCompletion;
    const body = JSON.stringify(openaiToAnthropicResponse(c, { model: 'gpt-4.1' }));
    const message = await anthropicClient(body, 'application/json').messages.create(MESSAGES);
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello!' }]);
    assert.equal(message.usage.input_tokens, 9);
  });
});
