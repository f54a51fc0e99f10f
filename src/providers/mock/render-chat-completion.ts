/**
 * Formats a ChatPlan as OpenAI wire traffic: a `chat.completion` object, or the `chat.completion.chunk`
 * SSE sequence of translation.md §4.2 (role chunk, word chunks, tool-call start + argument fragments,
 * finish chunk, optional usage chunk with `choices: []`, `data: [DONE]`).
 */
import { splitWords } from './mock-reply.ts';
import { sseEvent } from './mock-response.ts';
import { openaiUsage, type ChatPlan, type PlannedChoice, type PlannedToolCall } from './plan-chat-completion.ts';

export interface ChatEnvelope {
  readonly id: string;
  /** Unix seconds, the same on every chunk of one stream. */
  readonly created: number;
  readonly model: string;
}

const SYSTEM_FINGERPRINT = 'fp_mock';
/** Tool arguments stream in this many pieces (fewer only for very short arguments, never under two). */
const ARGUMENT_PIECES = 3;

export function chatCompletionBody(plan: ChatPlan, envelope: ChatEnvelope): Record<string, unknown> {
  return {
    id: envelope.id,
    object: 'chat.completion',
    created: envelope.created,
    model: envelope.model,
    choices: plan.choices.map(messageChoice),
    usage: openaiUsage(plan),
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
}

function messageChoice(choice: PlannedChoice): Record<string, unknown> {
  const message: Record<string, unknown> = { role: 'assistant', content: choice.content };
  if (choice.toolCalls.length > 0) message.tool_calls = choice.toolCalls.map(wireToolCall);
  message.refusal = null;
  message.annotations = [];
  return { index: choice.index, message, logprobs: null, finish_reason: choice.finishReason };
}

function wireToolCall(call: PlannedToolCall): Record<string, unknown> {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/** The full SSE byte sequence, one string per event. */
export function chatCompletionEvents(plan: ChatPlan, envelope: ChatEnvelope, includeUsage: boolean): string[] {
  const chunk = (choices: unknown[], usage: unknown = null): string => sseEvent({
    id: envelope.id, object: 'chat.completion.chunk', created: envelope.created, model: envelope.model,
    service_tier: 'default', system_fingerprint: SYSTEM_FINGERPRINT, choices, ...(includeUsage ? { usage } : {}),
  });
  const events: string[] = [];
  for (const choice of plan.choices) {
    for (const delta of choiceDeltas(choice)) events.push(chunk([{ index: choice.index, delta, logprobs: null, finish_reason: null }]));
    events.push(chunk([{ index: choice.index, delta: {}, logprobs: null, finish_reason: choice.finishReason }]));
  }
  if (includeUsage) events.push(chunk([], openaiUsage(plan)));
  events.push(sseEvent('[DONE]'));
  return events;
}

function choiceDeltas(choice: PlannedChoice): Record<string, unknown>[] {
  const role = { role: 'assistant', content: choice.content === null ? null : '', refusal: null };
  const words = splitWords(choice.content ?? '').map((content) => ({ content }));
  return [role, ...words, ...choice.toolCalls.flatMap(toolCallDeltas)];
}

/** A start delta with id, type and name, then the arguments in pieces, all under the call's index. */
function toolCallDeltas(call: PlannedToolCall, index: number): Record<string, unknown>[] {
  const start = { tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] };
  const pieces = splitArguments(call.arguments).map((piece) => ({ tool_calls: [{ index, function: { arguments: piece } }] }));
  return [start, ...pieces];
}

/** Splits by code point so no piece ends inside a surrogate pair. */
function splitArguments(args: string): string[] {
  const chars = Array.from(args);
  const size = Math.max(1, Math.ceil(chars.length / ARGUMENT_PIECES));
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(''));
  return pieces;
}
