/**
 * The built-in `mock` provider: an OpenAI-format model API answered in process, with no network, so the
 * product can be tried offline and tests have a fast, deterministic upstream. It behaves like a real API:
 * chat completions (text, images counted, tools, n, stop, max_tokens, response_format, SSE streaming with
 * stream_options.include_usage) and embeddings, and OpenAI-shaped 400s for bad bodies. Replies quote the
 * last user message: `Mock reply to: "<text, cut to 200 chars>"`; after tool results they cite the results.
 *
 * Token accounting uses the shared counter (formats/token-counter.ts): prompt_tokens is the sum over every
 * message's text (tool-call names and arguments included; tool definitions and per-message overhead are
 * not counted), completion_tokens the sum over all choices. max_tokens / max_completion_tokens cut the
 * reply at a word boundary to at most that many tokens (finish "length").
 *
 * Special models (the request's upstream model id):
 * - `mock-error-429`: 429 `rate_limit_exceeded` with `retry-after: 1` and x-ratelimit-* headers.
 * - `mock-error-500`: 500 `server_error` ("The server had an error while processing your request…").
 * - `mock-error-<status>`: any other 4xx/5xx status, with OpenAI's body for 401, 404 and 503.
 * - `mock-slow`: waits 100 ms before answering and between stream chunks (or `latencyMs`, if larger).
 * Any other model answers normally after `latencyMs` (default 0).
 *
 * listModels() answers MOCK_MODELS (mock, mock-large, mock-slow), the ones worth showing in GET /v1/models.
 *
 * Aborting `request.signal` rejects a pending send with the signal's reason and destroys a streaming body
 * with it, as the undici-based adapters do.
 */
import type { Operation, ProviderAdapter, UpstreamRequest, UpstreamResponse } from '../provider-adapter.ts';
import { createEmbeddings } from './mock-embeddings.ts';
import { errorModelResponse, errorModelStatus } from './mock-error-model.ts';
import { jsonResponse, mockIdSuffix, openaiErrorResponse, sseResponse, waitOrAbort } from './mock-response.ts';
import { parseChatRequest, parseJsonBody } from './parse-chat-request.ts';
import { planChatCompletion } from './plan-chat-completion.ts';
import { chatCompletionBody, chatCompletionEvents } from './render-chat-completion.ts';

export interface MockAdapterOptions {
  readonly name: string;
  /** Delay before a non-streaming answer and before each stream chunk. */
  readonly latencyMs?: number;
}

export const MOCK_SLOW_MODEL = 'mock-slow';
export const MOCK_SLOW_DELAY_MS = 100;

const OPERATIONS: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings']);
/** What the mock lists as its own models; it answers any other id too (the special `mock-error-*` ones included). */
export const MOCK_MODELS: readonly string[] = Object.freeze(['mock', 'mock-large', MOCK_SLOW_MODEL]);

export function createMockAdapter(options: MockAdapterOptions): ProviderAdapter {
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new RangeError(`mock provider "${options.name}": latencyMs must be a non-negative number, got ${latencyMs}`);
  }
  return {
    name: options.name,
    kind: 'mock',
    format: 'openai',
    operations: OPERATIONS,
    send: (request) => send(request, latencyMs),
    listModels: () => Promise.resolve(MOCK_MODELS),
    close: () => Promise.resolve(),
  };
}

async function send(request: UpstreamRequest, latencyMs: number): Promise<UpstreamResponse> {
  const startedAt = performance.now();
  const delayMs = request.model === MOCK_SLOW_MODEL ? Math.max(latencyMs, MOCK_SLOW_DELAY_MS) : latencyMs;
  const parsed = parseJsonBody(request.body);
  const streaming = request.operation === 'chat' && parsed.ok && parsed.value.stream === true;
  // A stream's delay falls between its chunks; any other answer waits once, like time to first byte.
  await waitOrAbort(streaming ? 0 : delayMs, request.signal);
  const status = errorModelStatus(request.model);
  if (status !== undefined) return errorModelResponse(request.model, status, startedAt);
  if (!parsed.ok) return openaiErrorResponse(400, parsed.error, startedAt);
  if (request.operation === 'chat') return chat(request, parsed.value, delayMs, startedAt);
  if (request.operation === 'embeddings') return embeddings(request, parsed.value, startedAt);
  const path = request.operation === 'messages' ? '/v1/messages' : '/v1/messages/count_tokens';
  return openaiErrorResponse(404, { message: `Invalid URL (POST ${path})`, type: 'invalid_request_error' }, startedAt);
}

function chat(request: UpstreamRequest, body: Readonly<Record<string, unknown>>, delayMs: number, startedAt: number): UpstreamResponse {
  const parsed = parseChatRequest(body);
  if (!parsed.ok) return openaiErrorResponse(400, parsed.error, startedAt);
  const plan = planChatCompletion(parsed.value);
  const envelope = { id: `chatcmpl-mock-${mockIdSuffix()}`, created: Math.floor(Date.now() / 1000), model: request.model };
  if (!parsed.value.stream) return jsonResponse(200, chatCompletionBody(plan, envelope), startedAt);
  return sseResponse(chatCompletionEvents(plan, envelope, parsed.value.includeUsage), delayMs, request.signal, startedAt);
}

function embeddings(request: UpstreamRequest, body: Readonly<Record<string, unknown>>, startedAt: number): UpstreamResponse {
  const result = createEmbeddings(body, request.model);
  return result.ok ? jsonResponse(200, result.value, startedAt) : openaiErrorResponse(400, result.error, startedAt);
}
