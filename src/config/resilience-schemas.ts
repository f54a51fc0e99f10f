/**
 * Settings of the resilience feature: how the executor retries and falls back (the shared `resilience`
 * section), how each provider is reached (`providers[].mode` with its `proxy` or `embedded` settings), and its
 * active health check. Defaults follow Envoy where it has one (retry budget 20 %, outlier ejection after 5
 * consecutive 5xx for 30 s × n) and seed 003 where it speaks (sidecar checked every 30 s, failed after more
 * than 3 restarts, fallback to direct).
 */
import { z } from 'zod';
import { secretRefSchema } from './secret-ref.ts';

const ms = z.number().int().min(0);
const positiveMs = z.number().int().positive();

export const healthCheckSchema = z.object({
  /** An absolute http(s) URL answered with 2xx while the endpoint is healthy (e.g. https://api.openai.com/v1/models). */
  url: z.url({ protocol: /^https?$/, error: 'an absolute http:// or https:// URL' }),
  intervalMs: positiveMs.default(10_000),
  timeoutMs: positiveMs.default(2_000),
  healthyThreshold: z.number().int().positive().default(2),
  unhealthyThreshold: z.number().int().positive().default(3),
  /** Headers sent with each probe; credentials by reference (env:NAME, file:/path). */
  headers: z.record(z.string(), z.string()).default({}),
}).strict();

/** Proxy mode: the provider is reached through an upstream OpenAI- or Anthropic-compatible gateway. */
export const proxyModeSchema = z.object({
  /** The gateway's base URL, as the provider's own would be written (".../v1" for OpenAI-style, the root for Anthropic). */
  baseUrl: z.url({ protocol: /^https?$/, error: 'an absolute http:// or https:// URL' }),
  /** The gateway's key, by reference. */
  apiKey: secretRefSchema.optional(),
  /** Overrides the provider's timeoutMs for calls through the gateway. */
  timeoutMs: positiveMs.optional(),
  /** Overrides the provider's retries (seed 003's RetryCount); the executor stays the only retry loop. */
  retries: z.number().int().min(0).max(10).optional(),
  /** Put before the model id the gateway is sent (e.g. "openai/" so another Switchboard addresses one provider). */
  modelPrefix: z.string().default(''),
}).strict();

/** Embedded mode: a sidecar that Switchboard runs and supervises, reached on 127.0.0.1. */
export const embeddedModeSchema = z.object({
  /** argv of the sidecar; "{port}" in an argument becomes its port (also given as PORT in its environment). */
  command: z.array(z.string().min(1)).min(1).optional(),
  /** A container image, run with the docker CLI when a Docker engine answers. */
  image: z.string().min(1).optional(),
  /** The port the image listens on inside its container. */
  containerPort: z.number().int().min(1).max(65535).default(8080),
  /** Port on 127.0.0.1; 0 picks a free one at each start. */
  port: z.number().int().min(0).max(65535).default(0),
  /** Extra environment of the sidecar; values may be references (env:NAME, file:/path). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  /** Path of the sidecar's own API, as a provider's baseUrl path would be (default "/v1" for OpenAI-style, "" for Anthropic). */
  basePath: z.string().regex(/^(\/[^?#]*)?$/, 'a path starting with "/", or empty').optional(),
  healthPath: z.string().regex(/^\/[^#]*$/, 'a path starting with "/"').default('/health'),
  startTimeoutMs: positiveMs.default(30_000),
  healthIntervalMs: positiveMs.default(30_000),
  healthTimeoutMs: positiveMs.default(2_000),
  /** Consecutive failed checks of a running sidecar that make it restart. */
  unhealthyThreshold: z.number().int().positive().default(3),
  /** After more than this many restarts the sidecar is marked failed and not started again. */
  maxRestarts: z.number().int().min(0).default(3),
  restartBackoffMs: positiveMs.default(1_000),
  maxRestartBackoffMs: positiveMs.default(30_000),
  /** Healthy this long, the restart count starts again from 0. */
  stableAfterMs: positiveMs.default(600_000),
  /** While the sidecar is not ready (starting, restarting, failed), send the provider's traffic direct. */
  fallback: z.boolean().default(true),
}).strict().superRefine((e, ctx) => {
  if ((e.command === undefined) === (e.image === undefined)) ctx.addIssue({ code: 'custom', path: ['command'], message: 'set exactly one of command and image' });
});

/** Fields each provider entry gains; spread into providerSchema. */
export const providerResilienceFields = {
  /** How the provider is reached: its own API (direct), an upstream gateway (proxy) or a sidecar (embedded). */
  mode: z.enum(['direct', 'proxy', 'embedded']).default('direct'),
  proxy: proxyModeSchema.optional(),
  embedded: embeddedModeSchema.optional(),
  /** Retries of a failed attempt on this provider; default resilience.retries. */
  retries: z.number().int().min(0).max(10).optional(),
  /** Active probes; without one, only passive tracking (breaker, ejection) judges the provider. */
  healthCheck: healthCheckSchema.optional(),
};

export const resilienceSchema = z.object({
  /** Retries of the same target after a retryable failure, before falling back to the next one. */
  retries: z.number().int().min(0).max(10).default(1),
  /** Exponential backoff with full jitter: a random wait in [0, min(max, base × 2^n)). */
  backoffBaseMs: positiveMs.default(100),
  backoffMaxMs: positiveMs.default(2_000),
  /** A Retry-After longer than this (or than what is left of the deadline) is not waited for: fall back instead. */
  maxRetryAfterMs: ms.default(10_000),
  /** Envoy's retry budget: retries to a target stay under this share of its requests over the window. */
  retryBudget: z.object({
    percent: z.number().min(0).max(100).default(20),
    windowMs: positiveMs.default(10_000),
    /** Retries always allowed per window, so a quiet target can still be retried. */
    minRetries: z.number().int().min(0).default(3),
  }).strict().prefault({}),
  /** Circuit breakers and outlier ejection; off: every target is always tried. */
  healthTracking: z.boolean().default(true),
  breaker: z.object({
    consecutiveFailures: z.number().int().positive().default(5),
    errorRate: z.number().min(0).max(1).default(0.5),
    minRequests: z.number().int().positive().default(20),
    windowMs: positiveMs.default(10_000),
    openMs: positiveMs.default(30_000),
    halfOpenRequests: z.number().int().positive().default(1),
  }).strict().prefault({}),
  ejection: z.object({
    consecutiveFailures: z.number().int().positive().default(5),
    baseEjectionMs: positiveMs.default(30_000),
    maxEjectionMs: positiveMs.default(300_000),
    maxEjectionPercent: z.number().min(0).max(100).default(50),
  }).strict().prefault({}),
  /** Weight of the newest sample in each endpoint's latency average. */
  latencyAlpha: z.number().gt(0).max(1).default(0.3),
}).strict().prefault({});

/** The process's Redis (REDIS_URL): shared circuit state today; limits, budgets and pods with later features. */
export const redisSchema = z.object({
  url: z.string().regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL').optional(),
  /** Put before every key, so several deployments (or test runs) can share one Redis. */
  keyPrefix: z.string().default('switchboard:'),
  /** A command that takes longer is treated as failed and the documented fallback applies. */
  commandTimeoutMs: positiveMs.default(50),
  connectTimeoutMs: positiveMs.default(1_000),
}).strict().prefault({});

export type ResilienceConfig = z.infer<typeof resilienceSchema>;
export type HealthCheckConfig = z.infer<typeof healthCheckSchema>;
export type ProxyModeConfig = z.infer<typeof proxyModeSchema>;
export type EmbeddedModeConfig = z.infer<typeof embeddedModeSchema>;
export type RedisConfig = z.infer<typeof redisSchema>;
