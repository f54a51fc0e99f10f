import { CATALOGUE, type ErrorCode } from './catalogue.ts';

/** What a provider said about its own error, kept so the caller's SDK sees the provider's code and type. */
export interface UpstreamErrorDetail {
  /** The dialect the provider answered in; its `type` is only meaningful to callers of the same dialect. */
  readonly dialect: 'openai' | 'anthropic';
  /** The provider's error code (OpenAI `code`, e.g. "context_length_exceeded"), when it sent one. */
  readonly code: string | undefined;
  /** The provider's error type (e.g. "invalid_request_error", "overloaded_error"), when it sent one. */
  readonly type: string | undefined;
  /** The prompt did not fit the model's context window: only a model with a larger one can serve it. */
  readonly contextLengthExceeded?: boolean;
}

export interface GatewayErrorOptions {
  /** The request field at fault, in dotted form (e.g. "messages.0.content"). */
  param?: string;
  /** A more specific message than the catalogue's. */
  message?: string;
  /** Overrides the catalogue status, e.g. to keep an upstream error's own status. */
  status?: number;
  /** Overrides the catalogue's flag, e.g. an upstream 400 passed on is not worth retrying. */
  retryable?: boolean;
  /** Seconds after which a retry may succeed. */
  retryAfter?: number;
  /** The provider's own code and type, for errors passed on from a provider. */
  upstream?: UpstreamErrorDetail;
  /** Response headers that go out with the error (e.g. the provider's x-ratelimit-*). */
  headers?: Readonly<Record<string, string>>;
  /** Every problem found, each with its field, when there are several (a refused configuration change). */
  issues?: readonly ErrorIssue[];
  cause?: unknown;
}

/** One problem of a request that has several; `path` is the field in dotted form. */
export interface ErrorIssue {
  readonly path: string;
  readonly message: string;
}

/** The one error type the gateway throws on purpose; everything else is SB_INTERNAL. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfter: number | undefined;
  readonly upstream: UpstreamErrorDetail | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly issues: readonly ErrorIssue[] | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    const spec = CATALOGUE[code];
    super(options.message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.retryable = options.retryable ?? spec.retryable;
    this.param = options.param;
    this.retryAfter = options.retryAfter;
    this.upstream = options.upstream;
    this.headers = options.headers;
    this.issues = options.issues;
  }
}

/** The same error with more response headers (the executor adds x-switchboard-attempts and -target). */
export function withHeaders(err: GatewayError, headers: Readonly<Record<string, string>>): GatewayError {
  const copy = new GatewayError(err.code, {
    message: err.message, status: err.status, retryable: err.retryable, headers: { ...err.headers, ...headers },
    ...(err.param === undefined ? {} : { param: err.param }), ...(err.retryAfter === undefined ? {} : { retryAfter: err.retryAfter }),
    ...(err.upstream === undefined ? {} : { upstream: err.upstream }), ...(err.issues === undefined ? {} : { issues: err.issues }),
    ...(err.cause === undefined ? {} : { cause: err.cause }),
  });
  copy.stack = err.stack;
  return copy;
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
