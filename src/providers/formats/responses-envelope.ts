import type {
  ResponsesEcho, ResponsesError, ResponsesIncompleteDetails, ResponsesOutputItem, ResponsesResponse, ResponsesStatus, ResponsesUsage,
} from './responses-types.ts';

/** What a translated Response is built from besides the answer: chosen by the caller of the translator. */
export interface ResponsesEnvelopeOptions {
  /** The response id ('resp_…', mintResponsesId('resp')), chosen before the upstream call so it can be stored. */
  readonly id: string;
  /** Unix seconds. */
  readonly createdAt: number;
  /** Model name shown to the caller. */
  readonly model: string;
  /** The request fields the Response repeats (responsesToChatRequest's `echo`). */
  readonly echo: ResponsesEcho;
}

/** How a response ended, in the API's three fields. */
export interface ResponsesOutcome {
  readonly status: ResponsesStatus;
  readonly incompleteDetails: ResponsesIncompleteDetails | null;
  readonly error: ResponsesError | null;
}

export const IN_PROGRESS: ResponsesOutcome = { status: 'in_progress', incompleteDetails: null, error: null };

/**
 * Chat finish_reason → Response status. length and content_filter are the API's two incomplete reasons;
 * stop, tool_calls, function_call and anything unknown end the response normally (the API has no
 * "why it stopped" field beyond these).
 */
export function outcomeOfFinish(finishReason: unknown): ResponsesOutcome {
  if (finishReason === 'length') return { status: 'incomplete', incompleteDetails: { reason: 'max_output_tokens' }, error: null };
  if (finishReason === 'content_filter') return { status: 'incomplete', incompleteDetails: { reason: 'content_filter' }, error: null };
  return { status: 'completed', incompleteDetails: null, error: null };
}

/**
 * The Response object, field for field in the SDK type's order. Built in one place so that the streamed
 * and the non-streamed translation cannot drift apart.
 */
export function responseEnvelope(
  options: ResponsesEnvelopeOptions, outcome: ResponsesOutcome, output: ResponsesOutputItem[], usage: ResponsesUsage | null,
): ResponsesResponse {
  const { echo } = options;
  return {
    id: options.id,
    created_at: options.createdAt,
    error: outcome.error,
    incomplete_details: outcome.incompleteDetails,
    instructions: echo.instructions,
    metadata: echo.metadata,
    model: options.model,
    object: 'response',
    output,
    parallel_tool_calls: echo.parallel_tool_calls,
    temperature: echo.temperature,
    tool_choice: echo.tool_choice,
    tools: echo.tools,
    top_p: echo.top_p,
    background: echo.background,
    completed_at: outcome.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    max_output_tokens: echo.max_output_tokens,
    previous_response_id: echo.previous_response_id,
    prompt_cache_key: echo.prompt_cache_key,
    reasoning: echo.reasoning,
    safety_identifier: echo.safety_identifier,
    service_tier: echo.service_tier,
    status: outcome.status,
    store: echo.store,
    text: echo.text,
    top_logprobs: echo.top_logprobs,
    truncation: echo.truncation,
    usage,
    user: echo.user,
  };
}
