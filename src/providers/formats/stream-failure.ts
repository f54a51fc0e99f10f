import type { ErrorCode } from '../../errors/catalogue.ts';
import { asRecord, asString } from './json-value.ts';
import { redactSecrets } from './upstream-error.ts';

/**
 * Why a translated stream ended in an error event instead of its normal end (translation.md §4.5).
 * After HTTP 200 the status cannot change, so the error travels as the stream's last event.
 */
export interface StreamFailure {
  readonly code: ErrorCode;
  readonly message: string;
  /** The error type the upstream reported, if any (e.g. "overloaded_error", "server_error"). */
  readonly upstreamType: string | undefined;
}

/** An error event or error chunk sent by the upstream itself after its 200. */
export function upstreamStreamFailure(error: unknown): StreamFailure {
  const fields = asRecord(error);
  const message = asString(fields.message) ?? 'The provider reported an error in the middle of the stream.';
  return { code: 'SB_UPSTREAM_ERROR', message: redactSecrets(message), upstreamType: asString(fields.type) ?? asString(fields.code) };
}

export function truncatedStreamFailure(): StreamFailure {
  return { code: 'SB_UPSTREAM_BAD_RESPONSE', message: 'The provider ended the stream before the response was complete.', upstreamType: undefined };
}

export function malformedStreamFailure(): StreamFailure {
  return { code: 'SB_UPSTREAM_BAD_RESPONSE', message: 'The provider sent a stream event that is not valid JSON.', upstreamType: undefined };
}
