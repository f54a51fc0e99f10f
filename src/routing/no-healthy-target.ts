import { GatewayError } from '../errors/gateway-error.ts';
import type { EndpointStatus, HealthRegistry } from '../health/health-registry.ts';
import type { Target } from '../domain/plan.ts';

/**
 * The error when no target of a plan could be tried: each one named with why health keeps it out, and
 * retry_after set to when the first of them is let through again.
 */
export function noHealthyTarget(skipped: readonly Target[], health: HealthRegistry | undefined): GatewayError {
  if (health === undefined) return new GatewayError('SB_NO_HEALTHY_TARGET');
  const now = Date.now();
  let soonest = Number.POSITIVE_INFINITY;
  const reasons = skipped.map((t) => {
    const s = health.status(t.endpoint);
    const back = backAt(s);
    if (back !== null) soonest = Math.min(soonest, back);
    return `${t.label} (${why(s)})`;
  });
  const retryAfter = Number.isFinite(soonest) ? Math.max(1, Math.ceil((soonest - now) / 1000)) : 1;
  return new GatewayError('SB_NO_HEALTHY_TARGET', { message: `Every target is out of service for now: ${reasons.join(', ')}.`, retryAfter });
}

function why(s: EndpointStatus): string {
  if (s.breaker === 'open') return 'circuit breaker open';
  if (s.breaker === 'half_open') return 'circuit breaker half-open, probe in flight';
  if (s.ejectedUntil !== null) return 'ejected after consecutive failures';
  if (s.probe !== null && !s.probe.healthy) return `failing its health check${s.probe.lastError === null ? '' : `: ${s.probe.lastError}`}`;
  return 'unavailable';
}

function backAt(s: EndpointStatus): number | null {
  const times = [s.breakerRetryAt, s.ejectedUntil].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.max(...times);
}
