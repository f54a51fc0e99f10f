import { asString, isRecord, parseJson } from './json-value.ts';

export interface UpstreamErrorInfo {
  /** The status to answer with: the upstream's, except Anthropic's non-standard 529 which becomes 503. */
  status: number;
  /** The upstream's own message, secrets redacted, at most MAX_MESSAGE characters. */
  message: string;
  /** The upstream's error type (e.g. "rate_limit_error", "invalid_request_error"), when it sent one. */
  type: string | undefined;
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
  return { status: status === 529 ? 503 : status, message: truncate(redactSecrets(message)), type: fields.type };
}

/** OpenAI `{error:{message,type}}`, Anthropic `{type:"error",error:{type,message}}`, and common server shapes. */
function errorFields(body: unknown): { message: string | undefined; type: string | undefined } {
  if (!isRecord(body)) return { message: undefined, type: undefined };
  if (isRecord(body.error)) {
    return { message: asString(body.error.message), type: asString(body.error.type) ?? asString(body.error.code) };
  }
  if (typeof body.error === 'string') return { message: body.error, type: undefined };
  // FastAPI-based servers (vLLM) answer {"detail": "..."}; others {"message": "..."}.
  return { message: asString(body.message) ?? asString(body.detail), type: undefined };
}

export function redactSecrets(text: string): string {
  return SECRETS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

function truncate(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`;
}
