import type { EndpointStatus } from './health-registry.ts';

/**
 * Scores for chooseP2C: lower is better. An endpoint with no latency yet scores as `unknownLatencyMs` (the
 * pool's median, from medianLatency(), or 0) so that a new endpoint gets traffic instead of being starved.
 */
export function leastLatencyScore(status: EndpointStatus, unknownLatencyMs = 0): number {
  return status.latencyMs ?? unknownLatencyMs;
}

/** Floor on the latency scored, so an error rate still counts against an endpoint with no or tiny latency. */
const MIN_SCORED_MS = 1;
/** Cap on the error penalty: an endpoint failing every request scores 100 times its latency, not infinity. */
const MIN_SUCCESS_SHARE = 0.01;

/** Latency divided by the share of requests that succeed: 50 % errors look twice as slow. */
export function healthWeightedScore(status: EndpointStatus, unknownLatencyMs = 0): number {
  const latency = Math.max(MIN_SCORED_MS, status.latencyMs ?? unknownLatencyMs);
  return latency / Math.max(MIN_SUCCESS_SHARE, 1 - status.errorRate);
}

/** Median of the known latencies of a pool's endpoints; 0 when none is known yet. */
export function medianLatency(statuses: readonly EndpointStatus[]): number {
  const known = statuses.map((s) => s.latencyMs).filter((l): l is number => l !== null).sort((a, b) => a - b);
  if (known.length === 0) return 0;
  const mid = known.length >> 1;
  return known.length % 2 === 1 ? (known[mid] as number) : ((known[mid - 1] as number) + (known[mid] as number)) / 2;
}
