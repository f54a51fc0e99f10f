import type { AttemptVerdict } from '../health/health-registry.ts';
import type { UsageOutcome } from '../domain/usage-record.ts';

/**
 * What one attempt says about its endpoint's health, from its usage record's fields: 429 is the endpoint
 * pacing us (breaker, not ejection), a refused or reset connection and a 5xx/timeout/malformed answer are
 * failures, the caller leaving or our own overload say nothing, and any other answer (4xx included: the
 * caller's fault) is a success.
 */
export function attemptVerdict(status: number, outcome: UsageOutcome, errorCode: string | null): AttemptVerdict {
  if (outcome === 'client_aborted' || errorCode === 'SB_GATEWAY_OVERLOADED') return 'neutral';
  if (status === 429) return 'rejected';
  if (errorCode === 'SB_UPSTREAM_UNREACHABLE') return 'connect_failure';
  if (status >= 500 || errorCode === 'SB_UPSTREAM_TIMEOUT' || errorCode === 'SB_UPSTREAM_BAD_RESPONSE') return 'failure';
  return 'success';
}
