import type { GatewayError } from './gateway-error.ts';

/** The dialect an error body is written in: the caller's, chosen by route. */
export type ErrorDialect = 'openai' | 'anthropic' | 'generic';

/** Anthropic's error.type per HTTP status (both SDKs pick the error class by status alone). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400: case 415: case 422: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 409: return 'conflict_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503: case 529: return 'overloaded_error';
    case 504: return 'timeout_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** OpenAI's error.type per HTTP status. */
export function openaiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function errorBody(err: GatewayError, dialect: ErrorDialect, requestId: string): Record<string, unknown> {
  const upstream = err.upstream;
  // A provider's own code (e.g. context_length_exceeded) is what SDK users branch on; the SB_* code stays in
  // the x-switchboard-error-code header. A provider's type only means something in its own dialect.
  const code = upstream?.code ?? err.code;
  const upstreamType = upstream !== undefined && upstream.dialect === dialect ? upstream.type : undefined;
  if (dialect === 'openai') {
    return { error: { message: err.message, type: upstreamType ?? openaiErrorType(err.status), param: err.param ?? null, code } };
  }
  if (dialect === 'anthropic') {
    const error: Record<string, unknown> = { type: upstreamType ?? anthropicErrorType(err.status), message: err.message, code };
    if (err.param !== undefined) error.param = err.param;
    return { type: 'error', error, request_id: requestId };
  }
  const error: Record<string, unknown> = { code: err.code, message: err.message, request_id: requestId, retryable: err.retryable };
  if (err.param !== undefined) error.param = err.param;
  if (err.retryAfter !== undefined) error.retry_after = err.retryAfter;
  if (upstream?.code !== undefined) error.upstream_code = upstream.code;
  if (err.issues !== undefined) error.issues = err.issues;
  return { error };
}
