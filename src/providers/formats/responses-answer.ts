import type { ResponsesTurn } from '../../domain/responses-turn.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import { chatToResponsesResponse } from './chat-to-responses-response.ts';
import type { OpenAIChatCompletion } from './openai-types.ts';
import type { ResponsesEcho, ResponsesErrorEventBody } from './responses-types.ts';
import { translateResponse } from './translate-response.ts';
import type { UpstreamCall } from './upstream-call.ts';

/**
 * The Response a Responses call gets when its upstream answered a chat completion (translated from Anthropic's
 * Messages first when that is what it spoke).
 */
export function responseFromChat(call: UpstreamCall, body: Record<string, unknown>, fallbackModel: string, turn: ResponsesTurn | undefined): Record<string, unknown> {
  if (turn === undefined) throw new Error('responseFromChat: not a Responses call');
  const chat = (call.translation === 'none' ? body : translateResponse(call, body, fallbackModel)) as OpenAIChatCompletion;
  const model = typeof chat.model === 'string' ? chat.model : fallbackModel;
  return chatToResponsesResponse(chat, { id: turn.id, createdAt: turn.createdAt, model, echo: turn.echo as unknown as ResponsesEcho }) as unknown as Record<string, unknown>;
}

/**
 * The event that ends a relayed Responses stream (an OpenAI upstream's, passed as it came) which failed after its
 * 200 for a reason of the gateway's (the upstream cut off, timed out, the caller's deadline): the API's `error`
 * event. The relay does not count the upstream's events, so its sequence_number is 0. A leading blank line
 * closes any event the upstream left half-written.
 */
export function responsesErrorEvent(err: GatewayError): string {
  return `\n\nevent: error\ndata: ${JSON.stringify({ ...responsesErrorBody(err.code, err.message, 'server_error'), sequence_number: 0 })}\n\n`;
}

/**
 * The body of a Responses stream's `error` event (ResponsesErrorEventBody: flat and nested, see there); `type` is
 * the error's kind (server_error …).
 */
export function responsesErrorBody(code: string, message: string, type: string): ResponsesErrorEventBody {
  return { type: 'error', code, message, param: null, error: { type, code, message, param: null } };
}
