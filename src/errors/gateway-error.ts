import { CATALOGUE, type ErrorCode } from './catalogue.ts';

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
  cause?: unknown;
}

/** The one error type the gateway throws on purpose; everything else is SB_INTERNAL. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(code: ErrorCode, options: GatewayErrorOptions = {}) {
    const spec = CATALOGUE[code];
    super(options.message ?? spec.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.status = options.status ?? spec.status;
    this.retryable = options.retryable ?? spec.retryable;
    this.param = options.param;
    this.retryAfter = options.retryAfter;
  }
}

export function isGatewayError(value: unknown): value is GatewayError {
  return value instanceof GatewayError;
}
