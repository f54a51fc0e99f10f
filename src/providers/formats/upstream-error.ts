import { GatewayError } from '../../errors/gateway-error.ts';
import { forwardedHeaders } from '../../upstream/forwarded-headers.ts';
import { asString, isRecord, parseJson } from './json-value.ts';

type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface UpstreamErrorInfo {
  /** The status to answer with: the upstream's, except Anthropic's non-standard 529 which becomes 503. */
  status: number;
  /** The upstream's own message, secrets redacted, at most MAX_MESSAGE characters. */
  message: string;
  /** The upstream's error type (e.g. "rate_limit_error", "invalid_request_error"), when it sent one. */
  type: string | undefined;
  /** The upstream's error code (OpenAI's `code`, e.g. "context_length_exceeded"), when it sent one. */
  code: string | undefined;
  /** The request field the upstream blamed (OpenAI's `param`), when it named one. */
  param: string | undefined;
}

const MAX_MESSAGE = 500;

/**
 * Credentials that providers echo back in error messages ("Incorrect API key provided: sk-…") or that a
 * misconfigured proxy puts in an HTML page. They must never reach the caller or the logs.
 */
const SECRETS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bsk-[A-Za-z0-9_*.-]{6,}/g, 'sk-[REDACTED]'],
  [/\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[REDACTED]'],
  [/\bAIza[A-Za-z0-9_-]{20,}/g, '[REDACTED]'],
  [/\b((?:api[_-]?key|x-api-key|access[_-]?token|secret)["']?\s*[:=]\s*["']?)[A-Za-z0-9._~+/-]{12,}/gi, '$1[REDACTED]'],
];

/** Reads an upstream error body in either dialect, or plain text, into one shape (translation.md §5). */
export function parseUpstreamError(status: number, bodyText: string): UpstreamErrorInfo {
  const fields = errorFields(parseJson(bodyText));
  const message = fields.message ?? (bodyText.trim() === '' ? `The provider answered HTTP ${status} with an empty body.` : bodyText.trim());
  return { status: status === 529 ? 503 : status, message: truncate(redactSecrets(message)), type: fields.type, code: fields.code, param: fields.param };
}

type ErrorFields = Pick<UpstreamErrorInfo, 'type' | 'code' | 'param'> & { message: string | undefined };

/** OpenAI `{error:{message,type,code,param}}`, Anthropic `{type:"error",error:{type,message}}`, and common server shapes. */
function errorFields(body: unknown): ErrorFields {
  const none = { message: undefined, type: undefined, code: undefined, param: undefined };
  if (!isRecord(body)) return none;
  if (isRecord(body.error)) {
    const e = body.error;
    return { message: asString(e.message), type: asString(e.type) ?? asString(e.code), code: asString(e.code), param: asString(e.param) };
  }
  if (typeof body.error === 'string') return { ...none, message: body.error };
  // FastAPI-based servers (vLLM) answer {"detail": "..."}; others {"message": "..."}.
  return { ...none, message: asString(body.message) ?? asString(body.detail) };
}

/**
 * The error a provider's 4xx/5xx becomes. Its status, code, type and param travel on, so the caller's SDK
 * raises what it would have raised talking to the provider directly, with one exception: a 401/403 is about
 * the gateway's credential for the provider, not the caller's key, so it becomes SB_UPSTREAM_AUTH_FAILED
 * (502) instead of an AuthenticationError the caller would misread. Retryable: 408, 429 and 5xx.
 */
export function upstreamError(status: number, bodyText: string, provider: string, dialect: 'openai' | 'anthropic', responseHeaders: UpstreamHeaders): GatewayError {
  const parsed = parseUpstreamError(status, bodyText);
  const retryAfter = retryAfterSeconds(responseHeaders);
  const upstream = { dialect, code: parsed.code, type: parsed.type, contextLengthExceeded: isContextLengthExceeded(status, parsed) };
  const common = { upstream, headers: forwardedHeaders(responseHeaders), ...(retryAfter === undefined ? {} : { retryAfter }) };
  if (status === 401 || status === 403) {
    return new GatewayError('SB_UPSTREAM_AUTH_FAILED', {
      ...common, message: `Provider "${provider}" refused the gateway's credential (HTTP ${status}: ${parsed.message}). Your key is fine: an operator must fix providers[].apiKey or apiKeyEnv for "${provider}".`,
    });
  }
  return new GatewayError('SB_UPSTREAM_ERROR', {
    ...common, status: parsed.status, retryable: parsed.status === 408 || parsed.status === 429 || parsed.status >= 500,
    message: `Provider "${provider}" answered ${status}: ${parsed.message}`, ...(parsed.param === undefined ? {} : { param: parsed.param }),
  });
}

/**
 * Whether a provider refused the prompt as longer than the model's context window. OpenAI (and most compatible
 * servers) say so with code context_length_exceeded; Anthropic with a 400 "prompt is too long: N tokens > M
 * maximum"; vLLM and others only in the message ("maximum context length is N tokens").
 */
const CONTEXT_MESSAGE = /context[ _-]?(length|window)|prompt is too long|maximum context|too many (input )?tokens/i;

function isContextLengthExceeded(status: number, parsed: UpstreamErrorInfo): boolean {
  if (parsed.code === 'context_length_exceeded') return true;
  return (status === 400 || status === 413 || status === 422) && CONTEXT_MESSAGE.test(parsed.message);
}

/**
 * The wait an upstream asks for: OpenAI's retry-after-ms first (finer), then Retry-After as seconds or as an
 * HTTP date. Undefined when there is none, or it is not a positive wait.
 */
export function retryAfterSeconds(headers: UpstreamHeaders): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const raw = headers['retry-after'];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const seconds = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : (Date.parse(raw) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

export function redactSecrets(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}
