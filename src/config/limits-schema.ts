import { z } from 'zod';

const perHour = z.number().int().positive();

/** The limits a tier, a key or a model is held to; every one optional. */
export const rateLimitFields = {
  requestsPerMinute: z.number().int().positive().optional(),
  requestsPerHour: perHour.optional(),
  tokensPerMinute: z.number().int().positive().optional(),
  concurrentRequests: z.number().int().positive().optional(),
  /** A token bucket for bursts (seed 004): up to `capacity` requests at once, refilled at `perSecond`. */
  burst: z.object({ capacity: z.number().int().positive(), perSecond: z.number().positive() }).strict().optional(),
};
export const rateLimitsSchema = z.object(rateLimitFields).strict();

/** Seed 001's tiers and their requests per hour (sliding window). */
export const DEFAULT_TIERS = {
  anonymous: { requestsPerHour: 1_000 },
  authenticated: { requestsPerHour: 5_000 },
  api_key: { requestsPerHour: 5_000 },
  premium: { requestsPerHour: 10_000 },
  webhooks: { requestsPerHour: 10_000 },
} as const;

/** Whether the runtime knows an IANA time zone ("UTC", "Europe/Berlin" …). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The shared `limits` section: which limits apply (tiers, every key, every model within a workspace), where their
 * counters live and what happens when that store fails. Workspaces add their own (`workspaces.<id>.rateLimits`).
 */
export const limitsSchema = z.object({
  /** Off: nothing is counted, no X-RateLimit-* header is sent. */
  enabled: z.boolean().default(true),
  /**
   * What a request does when the shared store (Redis) fails or answers later than `storeTimeoutMs`:
   * `open` — it is judged by this replica's own memory limiter (limits hold per replica until Redis is back);
   * `closed` — it is refused with 503 SB_LIMITER_UNAVAILABLE.
   */
  onStoreError: z.enum(['open', 'closed']).default('open'),
  /** The longest a request waits for the shared store's answer. */
  storeTimeoutMs: z.number().int().positive().max(1_000).default(25),
  /** Seed 001's tiers by name; a workspace's `tier` picks one, else keys are api_key and tokens authenticated. */
  tiers: z.record(z.string().min(1).max(100), rateLimitsSchema).default(DEFAULT_TIERS),
  /** Every key (and token subject) on its own. */
  perKey: rateLimitsSchema.default({}),
  /** Per model name, within each workspace (or per key when it has none). */
  perModel: z.record(z.string().min(1), rateLimitsSchema).default({}),
  /** Keys of no workspace with the admin role (operators) are not limited unless this is false. */
  exemptAdmins: z.boolean().default(true),
  /** The longest a concurrency slot is held by a request that never finished (a replica that died). */
  concurrencyHoldMs: z.number().int().positive().default(600_000),
  /** Where budgets' days, weeks (from Monday) and months begin: an IANA time zone. */
  budgetTimeZone: z.string().refine(isTimeZone, 'an IANA time zone such as UTC or Europe/Berlin').default('UTC'),
  /** Spend thresholds, in percent of a budget, that raise an alert (a warn log line and, when set, the webhook). */
  budgetAlerts: z.object({
    thresholds: z.array(z.number().positive().max(1000)).default([50, 80, 100]),
    /** POSTed a JSON alert ({ workspaceId, period, thresholdPercent, limitUsd, spentUsd, at }), 2 s timeout, not retried. */
    webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  }).strict().prefault({}),
}).strict().prefault({});

export type LimitsConfig = z.infer<typeof limitsSchema>;
export type RateLimits = z.infer<typeof rateLimitsSchema>;
