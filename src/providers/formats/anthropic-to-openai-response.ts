import { randomUUID } from 'node:crypto';
import type { AnthropicMessage } from './anthropic-types.ts';
import type { OpenAIAssistantMessage, OpenAIChatCompletion, OpenAIToolCall, OpenAIUsage } from './openai-types.ts';
import { asNumber, asRecord, asString, isRecord, type JsonObject } from './json-value.ts';
import { badUpstreamResponse } from './request-errors.ts';
import { anthropicStopToOpenAIFinish } from './stop-reasons.ts';
import { argumentsFromToolInput } from './tool-arguments.ts';
import { mintToolId } from './tool-call-id.ts';
import { usageFromAnthropic, usageToOpenAI } from './usage.ts';

export interface AnthropicToOpenAIResponseOptions {
  /** Model name shown to the caller. */
  model: string;
  /** Set when response_format was emulated with a tool (jsonToolNameFor): its input becomes the content. */
  jsonToolName?: string;
}

interface Collected {
  text: string;
  reasoning: string;
  toolCalls: OpenAIToolCall[];
  json: string | undefined;
}

/** Anthropic Message → OpenAI chat.completion (translation.md §3). */
export function anthropicToOpenAIResponse(msg: AnthropicMessage, options: AnthropicToOpenAIResponseOptions): OpenAIChatCompletion {
  const raw: unknown = msg;
  if (!isRecord(raw) || !Array.isArray(raw.content)) throw badUpstreamResponse('The Anthropic response has no content array.');
  const parts = collect(raw.content, options.jsonToolName);
  const message: OpenAIAssistantMessage = { role: 'assistant', content: contentOf(parts), refusal: null };
  if (parts.toolCalls.length > 0) message.tool_calls = parts.toolCalls;
  if (parts.reasoning !== '') message.reasoning_content = parts.reasoning;
  const jsonOnly = parts.json !== undefined && parts.toolCalls.length === 0;
  return {
    id: asString(raw.id) ?? `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: options.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: anthropicStopToOpenAIFinish(raw.stop_reason, jsonOnly) }],
    usage: openaiUsage(raw.usage),
  };
}

/** All text blocks, not just the first (Envoy's defect, translation.md §7.14); tool calls in block order. */
function collect(blocks: unknown[], jsonToolName: string | undefined): Collected {
  const out: Collected = { text: '', reasoning: '', toolCalls: [], json: undefined };
  for (const item of blocks) {
    const block = asRecord(item);
    if (block.type === 'text') out.text += asString(block.text) ?? '';
    else if (block.type === 'thinking') out.reasoning += asString(block.thinking) ?? '';
    else if (block.type === 'tool_use') addToolUse(out, block, jsonToolName);
  }
  return out;
}

function addToolUse(out: Collected, block: JsonObject, jsonToolName: string | undefined): void {
  if (jsonToolName !== undefined && block.name === jsonToolName) {
    out.json ??= argumentsFromToolInput(block.input);
    return;
  }
  const name = asString(block.name) ?? '';
  out.toolCalls.push({ id: asString(block.id) ?? mintToolId('call'), type: 'function', function: { name, arguments: argumentsFromToolInput(block.input) } });
}

function contentOf(parts: Collected): string | null {
  // The emulated JSON answer is the whole content: text around it ("Here is the JSON:") would break JSON.parse.
  if (parts.json !== undefined) return parts.json;
  if (parts.text !== '') return parts.text;
  return parts.toolCalls.length > 0 ? null : '';
}

function openaiUsage(usage: unknown): OpenAIUsage {
  const out = usageToOpenAI(usageFromAnthropic(usage));
  const thinking = asNumber(asRecord(asRecord(usage).output_tokens_details).thinking_tokens);
  if (thinking !== undefined) out.completion_tokens_details = { reasoning_tokens: thinking };
  return out;
}
