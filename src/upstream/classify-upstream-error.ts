import { GatewayError } from '../errors/gateway-error.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * Why a request's signal was aborted, as the gateway's error. The HTTP layer aborts with a GatewayError
 * (SB_UPSTREAM_TIMEOUT for the deadline, SB_CLIENT_DISCONNECTED when the caller left), so the reason is the
 * answer; any other reason counts as the caller leaving.
 */
export function abortReason(signal: AbortSignal): GatewayError {
  const reason: unknown = signal.reason;
  if (reason instanceof GatewayError) return reason;
  if ((reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
    return new GatewayError('SB_UPSTREAM_TIMEOUT', { message: 'The request deadline passed (server.requestTimeoutMs).' });
  }
  return new GatewayError('SB_CLIENT_DISCONNECTED');
}

/**
 * The one place a transport failure (undici or socket error, or our own abort) becomes the gateway's error.
 * An aborted signal wins over whatever error the abort caused, so a deadline is never reported as an
 * unreachable upstream.
 */
export function classifyUpstreamError(err: unknown, upstream: string, signal?: AbortSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal?.aborted === true) return abortReason(signal);
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new GatewayError('SB_UPSTREAM_TIMEOUT', { message: `Provider "${upstream}" did not answer in time (${code}).`, cause: err });
  }
  const detail = code ?? (typeof e.message === 'string' && e.message !== '' ? e.message : 'connection failed');
  return new GatewayError('SB_UPSTREAM_UNREACHABLE', { message: `Provider "${upstream}" could not be reached: ${detail}.`, cause: err });
}
