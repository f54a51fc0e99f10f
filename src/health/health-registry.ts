/**
 * The health seam: one small interface that model endpoints (AI providers today, registered model endpoints
 * with the routing issue) and service instances (the service gateway) both use. It holds, per endpoint, a
 * circuit breaker, passive outlier ejection, the verdict of active probes and latency tracking.
 *
 * Two implementations pass one contract suite (test/contract/health-registry.contract.ts): memory (one
 * replica) and Redis (REDIS_URL: every replica sees one circuit state). The hot path (`admit`, `report`) is
 * synchronous and allocation-light in both: the Redis one decides from a local copy that it keeps in step.
 */

import type { EndpointRef } from '../domain/endpoint-ref.ts';
export type { EndpointRef };

/**
 * How one admitted attempt ended, as health sees it. `failure`: a 5xx or an overload, a timeout, a refused or
 * reset connection, a malformed answer. `rejected`: the endpoint is fine but refused this request for now
 * (429): counts for the breaker, not for ejection. `success`: an answer, 4xx included (the caller's fault).
 * `neutral`: says nothing about the endpoint (the caller left); frees a half-open probe slot without a verdict.
 */
export type AttemptVerdict = 'success' | 'failure' | 'connect_failure' | 'rejected' | 'neutral';

export type BreakerState = 'closed' | 'open' | 'half_open';

/** Circuit breaker: consecutive failures or an error rate over a rolling window open it. */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker. */
  readonly consecutiveFailures: number;
  /** Share of failed attempts (0..1) over the window that opens it, once `minRequests` were seen. */
  readonly errorRate: number;
  readonly minRequests: number;
  readonly windowMs: number;
  /** How long it stays open before letting probe requests through (half-open). */
  readonly openMs: number;
  /** Probe requests let through at once while half-open; that many successes close it, one failure reopens it. */
  readonly halfOpenRequests: number;
}

/** Passive outlier ejection (Envoy's consecutive_5xx): failure/connect_failure verdicts only. */
export interface EjectionSettings {
  readonly consecutiveFailures: number;
  /** First ejection lasts this long; the n-th one n times as long, up to maxEjectionMs. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** Never more than this share (0..100) of a pool's endpoints ejected at once; at least one may always be. */
  readonly maxEjectionPercent: number;
}

/** Active probes on a health-check URL (the prober runs them; the registry keeps the verdict). */
export interface ProbeSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive good probes that make an unhealthy endpoint healthy again. */
  readonly healthyThreshold: number;
  /** Consecutive failed probes that make it unhealthy. */
  readonly unhealthyThreshold: number;
}

export interface HealthSettings {
  readonly breaker: BreakerSettings;
  readonly ejection: EjectionSettings;
  /** Weight of the newest latency sample in the moving average (0..1). */
  readonly latencyAlpha: number;
}

/** The health settings of a configuration's `resilience` section. */
export function healthSettingsOf(resilience: Pick<HealthSettings, 'breaker' | 'ejection' | 'latencyAlpha'>): HealthSettings {
  return { breaker: resilience.breaker, ejection: resilience.ejection, latencyAlpha: resilience.latencyAlpha };
}

/** Plain data: what /api/health/overview and /health/detailed show of one endpoint. */
export interface EndpointStatus {
  readonly id: string;
  readonly pool: string;
  /** Whether admit() would let a request through now. */
  readonly available: boolean;
  readonly breaker: BreakerState;
  /** Epoch ms when an open breaker lets probes through; null unless open. */
  readonly breakerRetryAt: number | null;
  readonly consecutiveFailures: number;
  /** Over the breaker's rolling window. */
  readonly requests: number;
  readonly errorRate: number;
  /** Epoch ms until which the endpoint is ejected; null when it is not. */
  readonly ejectedUntil: number | null;
  /** Ejections so far (each one lasts longer). */
  readonly ejections: number;
  /** Verdict of active probes; null when the endpoint has none or none ran yet. */
  readonly probe: ProbeStatus | null;
  /** Moving average of attempt latency on this replica, ms; null before the first sample. */
  readonly latencyMs: number | null;
  /** Epoch ms of the last state change (breaker, ejection or probe verdict). */
  readonly changedAt: number | null;
}

export interface ProbeStatus {
  readonly healthy: boolean;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  /** Epoch ms of the last probe, its outcome and, when it failed, why. */
  readonly lastAt: number;
  readonly lastOk: boolean;
  readonly lastError: string | null;
}

/** One state change, for a metric and a log line. Emitted by the replica that made it. */
export interface HealthTransition {
  readonly id: string;
  readonly pool: string;
  readonly kind: 'breaker' | 'ejection' | 'probe';
  readonly from: string;
  readonly to: string;
  /** Why, in a few words ("5 consecutive failures", "error rate 0.62 over 40 requests", "probe ok 2 times"). */
  readonly reason: string;
  readonly at: number;
}

export interface HealthRegistry {
  /** Where circuit state lives: this process (memory) or Redis. */
  readonly backend: 'memory' | 'redis';
  /** Whether the state is shared with the other replicas right now (Redis and reachable). */
  readonly shared: boolean;
  /**
   * Hot path, synchronous: may an attempt go to this endpoint now? False while its breaker is open, it is
   * ejected or its probes say it is unhealthy. A half-open breaker lets `halfOpenRequests` through at once:
   * true then takes a probe slot, which the attempt's report() gives back. Unknown endpoints are admitted.
   */
  admit(endpoint: EndpointRef): boolean;
  /** How an attempt that admit() let through ended, and how long it took (ms). Exactly once per admitted attempt. */
  report(endpoint: EndpointRef, verdict: AttemptVerdict, latencyMs: number): void;
  /** One active probe's outcome; `error` says why it failed. */
  reportProbe(endpoint: EndpointRef, settings: ProbeSettings, ok: boolean, error: string | null): void;
  /**
   * Whether this replica runs the probe of the current interval. Memory: always true. Redis: one replica per
   * interval, so thresholds count probes, not probes times replicas. Never rejects: false when unsure.
   */
  claimProbe(endpoint: EndpointRef, intervalMs: number): Promise<boolean>;
  status(endpoint: EndpointRef): EndpointStatus;
  /** Every endpoint seen so far (admitted, reported or probed), in first-seen order. */
  list(): EndpointStatus[];
  /** Called for every transition this replica makes. Returns the unsubscribe function. */
  onTransition(listener: (t: HealthTransition) => void): () => void;
  /** New settings from a new configuration version; endpoint state is kept. */
  configure(settings: HealthSettings): void;
  /** Forgets endpoints not in `keep` (a new configuration dropped them). */
  retain(keep: ReadonlySet<string>): void;
  close(): Promise<void>;
}

/** Milliseconds since the epoch; injected so tests run breakers on a fake clock. */
export type Clock = () => number;
