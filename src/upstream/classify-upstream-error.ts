import { GatewayError } from '../errors/gateway-error.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/**
 * Maps a transport failure (undici or socket error) to the gateway's error. An abort by our own signal
 * is passed through unchanged so the caller can tell "client went away" from "upstream failed".
 */
export function classifyUpstreamError(err: unknown, provider: string): unknown {
  if (err instanceof GatewayError) return err;
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || e.code === 'ABORT_ERR') return err;
  if (e.code !== undefined && TIMEOUT_CODES.has(e.code)) {
    return new GatewayError('SB_UPSTREAM_TIMEOUT', { message: `Provider "${provider}" did not answer in time (${e.code}).`, cause: err });
  }
  return new GatewayError('SB_UPSTREAM_UNREACHABLE', {
    message: `Provider "${provider}" could not be reached: ${e.code ?? e.message ?? 'connection failed'}.`, cause: err,
  });
}
