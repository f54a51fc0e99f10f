import type {
  ResponsesFunctionCall, ResponsesItemStatus, ResponsesOutputContent, ResponsesOutputMessage, ResponsesOutputText, ResponsesReasoningOutput,
} from './responses-types.ts';

/*
 * The output items and parts, each made in one place with the API's field order, so that the streamed
 * snapshots, the final streamed Response and the non-streamed one cannot differ in shape.
 */

export function messageItem(id: string, status: ResponsesItemStatus, content: ResponsesOutputContent[]): ResponsesOutputMessage {
  return { id, type: 'message', status, content, role: 'assistant' };
}

export function outputText(text: string): ResponsesOutputText {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

export function functionCallItem(id: string, status: ResponsesItemStatus, args: string, callId: string, name: string): ResponsesFunctionCall {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name };
}

/** Chat reasoning_content is the reasoning itself, not a summary; summary_text is still where clients read it. */
export function reasoningItem(id: string, text: string | undefined): ResponsesReasoningOutput {
  return { id, type: 'reasoning', summary: text === undefined ? [] : [{ type: 'summary_text', text }] };
}

/** Clients JSON.parse function arguments: a call without any gets "{}", as OpenAI itself sends. */
export function callArguments(args: string): string {
  return args === '' ? '{}' : args;
}
