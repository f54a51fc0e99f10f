import { anthropicErrorType, openaiErrorType } from '../../errors/envelopes.ts';
import type { GatewayError } from '../../errors/gateway-error.ts';
import type { WireFormat } from '../provider-adapter.ts';

/**
 * The event that ends a stream which failed after the 200 was sent: a well-formed error in the caller's
 * dialect, so the SDK raises it. A leading blank line closes any event the upstream left half-written.
 */
export function streamErrorEvent(format: WireFormat, err: GatewayError): string {
  if (format === 'openai') {
    return `\n\ndata: ${JSON.stringify({ error: { message: err.message, type: openaiErrorType(err.status), param: null, code: err.code } })}\n\n`;
  }
  const type = err.code === 'SB_UPSTREAM_TIMEOUT' ? 'timeout_error' : anthropicErrorType(err.status);
  return `\n\nevent: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message: err.message, code: err.code } })}\n\n`;
}

/** One function per dialect, built once, for code that wants `(err) => string` without a closure per stream. */
export const STREAM_ERROR_EVENT: Readonly<Record<WireFormat, (err: GatewayError) => string>> = {
  openai: (err) => streamErrorEvent('openai', err),
  anthropic: (err) => streamErrorEvent('anthropic', err),
};
