import type { AttemptVerdict } from './health-registry.ts';

/**
 * Whether an attempt's time says how fast the endpoint serves: answers do (a timeout's long wait included); a
 * refused connection fails at once and the caller leaving (neutral) says nothing, so they would flatter it.
 */
export function timesService(verdict: AttemptVerdict, latencyMs: number): boolean {
  return (verdict === 'success' || verdict === 'failure' || verdict === 'rejected') && Number.isFinite(latencyMs) && latencyMs >= 0;
}

/**
 * Exponentially weighted moving average: `alpha` is the weight of the newest sample. NaN is "no sample yet", so
 * the field holding it only ever holds numbers (a field that also holds null boxes every number written to it).
 */
export function movingAverage(previous: number, sample: number, alpha: number): number {
  return Number.isNaN(previous) ? sample : previous + alpha * (sample - previous);
}

export const NO_LATENCY = Number.NaN;

export function latencyOrNull(average: number): number | null {
  return Number.isNaN(average) ? null : average;
}
