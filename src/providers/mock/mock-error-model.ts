/**
 * The mock's failure models: `mock-error-<status>` answers that HTTP status with the body (and, for 429,
 * the headers) OpenAI sends, so retry, fallback and error pass-through paths can be tried offline.
 */
import { openaiErrorType } from '../../errors/envelopes.ts';
import type { UpstreamResponse } from '../provider-adapter.ts';
import { openaiErrorResponse, type OpenAIErrorFields } from './mock-response.ts';

const ERROR_MODEL = /^mock-error-([45]\d\d)$/;
/** Seconds: short so retry tests stay fast, but present so retry-after handling is exercised. */
export const MOCK_RETRY_AFTER_SECONDS = 1;

/** The status a `mock-error-<status>` model answers with, or undefined for any other model. */
export function errorModelStatus(model: string): number | undefined {
  const match = ERROR_MODEL.exec(model);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export function errorModelResponse(model: string, status: number, startedAt: number): UpstreamResponse {
  const headers: Record<string, string> = status === 429 ? rateLimitHeaders() : {};
  return openaiErrorResponse(status, errorFields(model, status), startedAt, headers);
}

function rateLimitHeaders(): Record<string, string> {
  return {
    'retry-after': String(MOCK_RETRY_AFTER_SECONDS),
    'x-ratelimit-limit-requests': '3',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': `${MOCK_RETRY_AFTER_SECONDS}s`,
  };
}

/** OpenAI's own wording for the statuses clients meet most; a generic message for the rest. */
function errorFields(model: string, status: number): OpenAIErrorFields {
  switch (status) {
    case 401:
      return { message: 'Incorrect API key provided: mock-key. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error', code: 'invalid_api_key' };
    case 404:
      return { message: `The model \`${model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', code: 'model_not_found' };
    case 429:
      return { message: `Rate limit reached for ${model} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in ${MOCK_RETRY_AFTER_SECONDS}s. Visit https://platform.openai.com/account/rate-limits to learn more.`, type: 'requests', code: 'rate_limit_exceeded' };
    case 500:
      return { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null };
    case 503:
      return { message: 'The engine is currently overloaded, please try again later.', type: 'server_error', code: null };
    default:
      return { message: `Mock error ${status}, requested by model "${model}".`, type: openaiErrorType(status), code: null };
  }
}
