/**
 * Decides the whole mock answer before any byte is written: choices (text or tool calls), finish reasons
 * and token usage. The JSON and SSE renderers only format this plan, so both always agree.
 */
import { countTokens } from '../formats/token-counter.ts';
import { limitReply, promptTokens, replyText } from './mock-reply.ts';
import { mockIdSuffix } from './mock-response.ts';
import type { ChatRequest, FunctionTool } from './parse-chat-request.ts';
import { sampleFromSchema } from './sample-from-schema.ts';

/** Parallel tool calls are capped like a model that calls a handful of tools at once. */
const MAX_PARALLEL_CALLS = 3;

export interface PlannedToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export interface PlannedChoice {
  readonly index: number;
  /** null when the choice is tool calls. */
  readonly content: string | null;
  readonly toolCalls: readonly PlannedToolCall[];
  readonly finishReason: 'stop' | 'length' | 'tool_calls';
}

export interface ChatPlan {
  readonly choices: readonly PlannedChoice[];
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export function planChatCompletion(request: ChatRequest): ChatPlan {
  const choices = Array.from({ length: request.n }, (_, index) => planChoice(request, index));
  return { choices, promptTokens: promptTokens(request.messages), completionTokens: sumCompletionTokens(choices) };
}

function planChoice(request: ChatRequest, index: number): PlannedChoice {
  const tools = toolsToCall(request);
  if (tools.length > 0) {
    const toolCalls = tools.map((tool) => ({ id: `call_mock_${mockIdSuffix()}`, name: tool.name, arguments: toolArguments(tool) }));
    return { index, content: null, toolCalls, finishReason: 'tool_calls' };
  }
  const { text, finishReason } = limitReply(contentFor(request, index), request.stop, request.maxTokens);
  return { index, content: text, toolCalls: [], finishReason };
}

/** A model calls tools in answer to the user; after tool results it answers in text. */
function toolsToCall(request: ChatRequest): readonly FunctionTool[] {
  if (request.tools.length === 0 || request.messages.at(-1)?.role !== 'user') return [];
  return request.parallelToolCalls ? request.tools.slice(0, MAX_PARALLEL_CALLS) : request.tools.slice(0, 1);
}

function toolArguments(tool: FunctionTool): string {
  return tool.parameters === undefined ? '{}' : JSON.stringify(sampleFromSchema(tool.parameters));
}

function contentFor(request: ChatRequest, index: number): string {
  const format = request.responseFormat;
  if (format.type === 'json_schema') return JSON.stringify(sampleFromSchema(format.schema));
  if (format.type === 'json_object') return JSON.stringify({ reply: replyText(request.messages, index) });
  return replyText(request.messages, index);
}

/** OpenAI bills every choice's output, so completion_tokens sums over choices. */
function sumCompletionTokens(choices: readonly PlannedChoice[]): number {
  let total = 0;
  for (const choice of choices) {
    total += countTokens(choice.content ?? '');
    for (const call of choice.toolCalls) total += countTokens(call.name) + countTokens(call.arguments);
  }
  return total;
}

/** The usage object in the shape current OpenAI models return, detail fields included. */
export function openaiUsage(plan: ChatPlan): Record<string, unknown> {
  return {
    prompt_tokens: plan.promptTokens,
    completion_tokens: plan.completionTokens,
    total_tokens: plan.promptTokens + plan.completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}
