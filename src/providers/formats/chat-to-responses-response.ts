import type { OpenAIChatCompletion } from './openai-types.ts';
import { asRecord, asString, isRecord, type JsonObject } from './json-value.ts';
import { badUpstreamResponse } from './request-errors.ts';
import { outcomeOfFinish, responseEnvelope, type ResponsesEnvelopeOptions } from './responses-envelope.ts';
import { OutputItemIds } from './responses-ids.ts';
import { callArguments, functionCallItem, messageItem, outputText, reasoningItem } from './responses-output-items.ts';
import type { ResponsesOutputContent, ResponsesOutputItem, ResponsesResponse } from './responses-types.ts';
import { responsesUsage } from './responses-usage.ts';
import { mintToolId } from './tool-call-id.ts';
import { usageFromOpenAI } from './usage.ts';

export type ChatToResponsesOptions = ResponsesEnvelopeOptions;

/**
 * chat.completion → Response. Output items in the order a model writes them: reasoning (the non-standard
 * reasoning_content some vendors send, as a summary_text), then the message (content as output_text, refusal
 * as a refusal part), then one function_call per tool call, its call_id the chat tool call id. finish_reason
 * length and content_filter make the response incomplete, and the last item with it.
 */
export function chatToResponsesResponse(completion: OpenAIChatCompletion, options: ChatToResponsesOptions): ResponsesResponse {
  const raw: unknown = completion;
  const choice = isRecord(raw) && Array.isArray(raw.choices) ? raw.choices[0] : undefined;
  if (!isRecord(raw) || !isRecord(choice)) throw badUpstreamResponse('The chat completion has no choices.');
  const message = asRecord(choice.message);
  const outcome = outcomeOfFinish(choice.finish_reason);
  const output: ResponsesOutputItem[] = [];
  const ids = new OutputItemIds(options.id);
  const reasoning = asString(message.reasoning_content) ?? asString(message.reasoning);
  if (reasoning !== undefined && reasoning !== '') output.push(reasoningItem(ids.next('rs'), reasoning));
  const content = messageContent(message);
  if (content.length > 0) output.push(messageItem(ids.next('msg'), 'completed', content));
  const calls: unknown[] = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of calls) output.push(functionCall(asRecord(call), ids));
  if (outcome.status === 'incomplete') markLastIncomplete(output);
  return responseEnvelope(options, outcome, output, responsesUsage(usageFromOpenAI(raw.usage)));
}

/** Some OpenAI-compatible servers answer content as an array of text parts instead of a string. */
function messageContent(message: JsonObject): ResponsesOutputContent[] {
  const parts: ResponsesOutputContent[] = [];
  const content = message.content;
  const text = Array.isArray(content)
    ? content.map((part: unknown) => asString(asRecord(part).text) ?? '').join('')
    : asString(content) ?? '';
  if (text !== '') parts.push(outputText(text));
  const refusal = asString(message.refusal);
  if (refusal !== undefined && refusal !== '') parts.push({ type: 'refusal', refusal });
  return parts;
}

function functionCall(call: JsonObject, ids: OutputItemIds): ResponsesOutputItem {
  const fn = asRecord(call.function);
  const id = asString(call.id);
  const callId = id === undefined || id === '' ? mintToolId('call') : id;
  return functionCallItem(ids.next('fc'), 'completed', callArguments(asString(fn.arguments) ?? ''), callId, asString(fn.name) ?? '');
}

/** The item being written when the model stopped is the one cut short. Reasoning items carry no status. */
function markLastIncomplete(output: ResponsesOutputItem[]): void {
  const last = output.at(-1);
  if (last !== undefined && last.type !== 'reasoning') last.status = 'incomplete';
}
