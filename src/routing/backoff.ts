import type { ResilienceConfig } from '../config/resilience-schemas.ts';

type BackoffSettings = Pick<ResilienceConfig, 'backoffBaseMs' | 'backoffMaxMs' | 'maxRetryAfterMs'>;

/**
 * How long to wait before retry number `retry` (0 for the first) of the same target, or undefined when the
 * wait is not worth it and the executor should fall back instead. Exponential backoff with full jitter (a
 * random wait in [0, min(max, base × 2^retry))), raised to the upstream's Retry-After when it sent one; a
 * Retry-After over maxRetryAfterMs, or any wait longer than what is left of the request's deadline, is not waited.
 */
export function retryDelay(retry: number, retryAfterSeconds: number | undefined, remainingMs: number, settings: BackoffSettings, random: () => number = Math.random): number | undefined {
  const jitter = random() * Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** retry);
  let delay = jitter;
  if (retryAfterSeconds !== undefined) {
    const asked = retryAfterSeconds * 1000;
    if (asked > settings.maxRetryAfterMs) return undefined;
    delay = Math.max(delay, asked);
  }
  return delay < remainingMs ? delay : undefined;
}
