import { randomUUID } from 'node:crypto';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicToolUseBlock } from './anthropic-types.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import { asRecord, asString, isRecord, type JsonObject } from './json-value.ts';
import { badUpstreamResponse } from './request-errors.ts';
import { openaiFinishToAnthropicStop } from './stop-reasons.ts';
import { toolInputFromArguments } from './tool-arguments.ts';
import { mintToolId, toAnthropicToolId } from './tool-call-id.ts';
import { usageFromOpenAI, usageToAnthropic } from './usage.ts';

export interface OpenAIToAnthropicResponseOptions {
  /** Model name shown to the caller. */
  model: string;
}

/** OpenAI chat.completion → Anthropic Message (translation.md §3): blocks ordered thinking → text → tool_use. */
export function openaiToAnthropicResponse(c: OpenAIChatCompletion, options: OpenAIToAnthropicResponseOptions): AnthropicMessage {
  const raw: unknown = c;
  const choice = isRecord(raw) && Array.isArray(raw.choices) ? asRecord(raw.choices[0]) : {};
  if (!isRecord(raw) || !isRecord(choice.message)) throw badUpstreamResponse('The OpenAI response has no choices[0].message.');
  return {
    id: asString(raw.id) ?? `msg_${randomUUID().replaceAll('-', '')}`,
    type: 'message',
    role: 'assistant',
    content: contentBlocks(choice.message),
    model: options.model,
    stop_reason: openaiFinishToAnthropicStop(choice.finish_reason),
    stop_sequence: null,
    usage: usageToAnthropic(usageFromOpenAI(raw.usage)),
  };
}

function contentBlocks(message: JsonObject): AnthropicContentBlock[] {
  const blocks: AnthropicContentBlock[] = [];
  // reasoning_content: vLLM, DeepSeek, LiteLLM; reasoning: OpenRouter, newer vLLM. There is no signature.
  const reasoning = asString(message.reasoning_content) ?? asString(message.reasoning) ?? '';
  if (reasoning !== '') blocks.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = textOf(message.content) + (asString(message.refusal) ?? '');
  // A blank text block would be rejected if the caller sends this turn back (translation.md §7.7).
  if (text.trim() !== '') blocks.push({ type: 'text', text });
  if (Array.isArray(message.tool_calls)) blocks.push(...message.tool_calls.map((call: unknown) => toolUse(asRecord(call))));
  return blocks;
}

/** content is a string, null, or (some compatible servers) an array of text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => asString(asRecord(part).text) ?? '').join('');
}

function toolUse(call: JsonObject): AnthropicToolUseBlock {
  const fn = asRecord(call.function);
  const id = asString(call.id);
  return {
    type: 'tool_use',
    id: id === undefined || id === '' ? mintToolId('toolu') : toAnthropicToolId(id),
    name: asString(fn.name) ?? '',
    input: toolInputFromArguments(fn.arguments),
  };
}
