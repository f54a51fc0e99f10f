import { anthropicToOpenAIResponse } from './anthropic-to-openai-response.ts';
import type { AnthropicMessage } from './anthropic-types.ts';
import { openaiToAnthropicResponse } from './openai-to-anthropic-response.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import type { UpstreamCall } from './upstream-call.ts';

/** A whole (non-streamed) answer in the caller's dialect; `fallbackModel` names it when the body does not. */
export function translateResponse(call: UpstreamCall, body: Record<string, unknown>, fallbackModel: string): unknown {
  const model = typeof body.model === 'string' ? body.model : fallbackModel;
  return call.translation === 'anthropic-to-openai'
    ? anthropicToOpenAIResponse(body as unknown as AnthropicMessage, { model, ...(call.jsonToolName ? { jsonToolName: call.jsonToolName } : {}) })
    : openaiToAnthropicResponse(body as unknown as OpenAIChatCompletion, { model });
}
