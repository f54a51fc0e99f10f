/**
 * One endpoint's health as plain data, and the state machine that moves it: no I/O, no timers, time comes in
 * as `now`. Both registries run these same functions (the Redis one inside an optimistic transaction), so
 * there is one set of rules.
 *
 * The step functions change the circuit in place and push what changed into `sink`: the hot path runs them on
 * every request and must not allocate while nothing changes. applyVerdicts() is the copying form.
 */
import type { BreakerState, EndpointRef, EndpointStatus, HealthSettings, HealthTransition, ProbeSettings } from './health-registry.ts';
import { addToWindow, advanceWindow, cloneWindow, newWindow, resetWindow, windowTotals, type RollingWindow } from './rolling-window.ts';
import { answeredIn, breakerFailuresIn, type VerdictBatch } from './verdict-batch.ts';

/** The probe verdict as stored: ProbeStatus, mutable. */
export interface ProbeState {
  healthy: boolean;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  lastAt: number;
  lastOk: boolean;
  lastError: string | null;
}

export interface EndpointCircuit {
  readonly id: string;
  readonly pool: string;
  breaker: BreakerState;
  /** When the breaker last opened, and when it lets probe requests through; null unless open. */
  openedAt: number | null;
  retryAt: number | null;
  /** Half-open: attempts let through and not yet reported, successes so far. */
  halfOpenInFlight: number;
  halfOpenSuccesses: number;
  /**
   * Half-open slots taken before this were never given back (a replica died mid-attempt): they are free again.
   * Without it one lost report would keep the endpoint out of service for good.
   */
  halfOpenLeaseUntil: number | null;
  /** Consecutive failures for the breaker (failure, connect_failure, rejected). */
  breakerFailures: number;
  /** Consecutive failures for ejection (failure, connect_failure). */
  ejectionFailures: number;
  ejectedUntil: number | null;
  ejections: number;
  window: RollingWindow;
  probe: ProbeState | null;
  changedAt: number | null;
}

/** What admission the circuit allows before half-open slots are counted (the Redis registry counts them itself). */
export type Gate = 'admit' | 'refuse' | 'half_open';

export interface CircuitStep {
  readonly circuit: EndpointCircuit;
  readonly transitions: HealthTransition[];
}

export function newCircuit(ref: EndpointRef, settings: HealthSettings, now: number): EndpointCircuit {
  return {
    id: ref.id, pool: ref.pool, breaker: 'closed', openedAt: null, retryAt: null, halfOpenInFlight: 0,
    halfOpenSuccesses: 0, halfOpenLeaseUntil: null, breakerFailures: 0, ejectionFailures: 0, ejectedUntil: null,
    ejections: 0, window: newWindow(settings.breaker.windowMs, now), probe: null, changedAt: null,
  };
}

export function cloneCircuit(c: EndpointCircuit): EndpointCircuit {
  return { ...c, window: cloneWindow(c.window), probe: c.probe === null ? null : { ...c.probe } };
}

/**
 * Whether the circuit lets an attempt through, noticing on the way an ejection that ended and an open breaker
 * whose openMs passed (it becomes half-open). 'half_open' leaves the slot question to the caller.
 */
export function gateAt(c: EndpointCircuit, settings: HealthSettings, now: number, sink: HealthTransition[]): Gate {
  if (c.ejectedUntil !== null) {
    if (now < c.ejectedUntil) return 'refuse';
    endEjection(c, now, sink);
  }
  if (c.probe !== null && !c.probe.healthy) return 'refuse';
  if (c.breaker === 'closed') return 'admit';
  if (c.breaker === 'open') {
    if (now < (c.retryAt ?? 0)) return 'refuse';
    toHalfOpen(c, settings, now, sink);
  }
  return 'half_open';
}

/** Takes a half-open slot if one is free. */
export function takeHalfOpenSlot(c: EndpointCircuit, settings: HealthSettings, now: number): boolean {
  if (c.halfOpenLeaseUntil !== null && now >= c.halfOpenLeaseUntil) c.halfOpenInFlight = 0;
  if (c.halfOpenInFlight >= settings.breaker.halfOpenRequests) return false;
  c.halfOpenInFlight++;
  // A slot is held for openMs at most: a probe request slower than that lets one more in, which is harmless.
  c.halfOpenLeaseUntil = now + settings.breaker.openMs;
  return true;
}

/**
 * Whether the circuit admits whatever the time: breaker closed, not ejected, probes not against it. The
 * registries ask this before they read the clock: Date.now() returns a new heap number each call, and this way
 * admit() allocates nothing in the common case (src/health/memory-health-registry.test.ts).
 */
export function admitsAnyTime(c: EndpointCircuit): boolean {
  return c.breaker === 'closed' && c.ejectedUntil === null && (c.probe === null || c.probe.healthy);
}

/** admit() of one replica that counts half-open slots itself (memory; Redis while Redis is away). */
export function admitAt(c: EndpointCircuit, settings: HealthSettings, now: number, sink: HealthTransition[]): boolean {
  const gate = gateAt(c, settings, now, sink);
  return gate === 'admit' || (gate === 'half_open' && takeHalfOpenSlot(c, settings, now));
}

/**
 * Whether applying `b` would eject the endpoint if the pool allowed it: the caller then works out
 * `poolCanEject`, which costs a look at the pool, only when it matters.
 */
export function wantsEjection(c: EndpointCircuit, b: VerdictBatch, settings: HealthSettings, now: number): boolean {
  if (b.ejectionLongest === 0 || (c.ejectedUntil !== null && now < c.ejectedUntil)) return false;
  return Math.max(c.ejectionFailures + b.ejectionLead, b.ejectionLongest) >= settings.ejection.consecutiveFailures;
}

/** Never more than maxEjectionPercent of a pool ejected, but always at least one may be. */
export function ejectionAllowed(ejectedOthers: number, poolSize: number, maxEjectionPercent: number): boolean {
  return ejectedOthers === 0 || (ejectedOthers + 1) * 100 <= maxEjectionPercent * poolSize;
}

/** Applies reported verdicts in place. `poolCanEject`: ejecting this endpoint keeps its pool under the cap. */
export function recordVerdicts(c: EndpointCircuit, b: VerdictBatch, settings: HealthSettings, now: number, poolCanEject: boolean, sink: HealthTransition[]): void {
  const answered = answeredIn(b);
  const failed = breakerFailuresIn(b);
  advanceWindow(c.window, settings.breaker.windowMs, now);
  if (answered > 0) addToWindow(c.window, answered, failed);
  if (c.breaker === 'closed') trackClosed(c, b, answered, settings, now, sink);
  else if (c.breaker === 'half_open') settleHalfOpen(c, b, answered + b.neutral, failed, settings, now, sink);
  trackEjection(c, b, settings, now, poolCanEject, sink);
}

/** recordVerdicts on a copy: the circuit given is left as it was. */
export function applyVerdicts(circuit: EndpointCircuit, verdicts: VerdictBatch, settings: HealthSettings, now: number, poolCanEject: boolean): CircuitStep {
  const next = cloneCircuit(circuit);
  const transitions: HealthTransition[] = [];
  recordVerdicts(next, verdicts, settings, now, poolCanEject, transitions);
  return { circuit: next, transitions };
}

/** One active probe's outcome, in place. */
export function applyProbe(c: EndpointCircuit, settings: ProbeSettings, ok: boolean, error: string | null, now: number, sink: HealthTransition[]): void {
  const p = c.probe ??= { healthy: true, consecutiveSuccesses: 0, consecutiveFailures: 0, lastAt: now, lastOk: ok, lastError: null };
  p.lastAt = now;
  p.lastOk = ok;
  p.lastError = ok ? null : (error ?? 'probe failed');
  if (ok) {
    p.consecutiveSuccesses++;
    p.consecutiveFailures = 0;
    if (!p.healthy && p.consecutiveSuccesses >= settings.healthyThreshold) {
      p.healthy = true;
      change(c, 'probe', 'unhealthy', 'healthy', `probe ok ${p.consecutiveSuccesses} times`, now, sink);
    }
    return;
  }
  p.consecutiveFailures++;
  p.consecutiveSuccesses = 0;
  if (p.healthy && p.consecutiveFailures >= settings.unhealthyThreshold) {
    p.healthy = false;
    change(c, 'probe', 'healthy', 'unhealthy', `probe failed ${p.consecutiveFailures} times: ${p.lastError}`, now, sink);
  }
}

/**
 * The circuit as admit() would find it at `now`, without changing it: an open breaker past retryAt shows as
 * half-open, an ejection that ended as none.
 */
export function statusOf(c: EndpointCircuit, settings: HealthSettings, now: number, latencyMs: number | null): EndpointStatus {
  const ejected = c.ejectedUntil !== null && now < c.ejectedUntil;
  const reopens = c.breaker === 'open' && now >= (c.retryAt ?? 0);
  const breaker: BreakerState = reopens ? 'half_open' : c.breaker;
  const slotFree = reopens || c.halfOpenInFlight < settings.breaker.halfOpenRequests
    || (c.halfOpenLeaseUntil !== null && now >= c.halfOpenLeaseUntil);
  const probeOk = c.probe === null || c.probe.healthy;
  const { requests, failures } = windowTotals(c.window, now);
  return {
    id: c.id, pool: c.pool,
    available: !ejected && probeOk && (breaker === 'closed' || (breaker === 'half_open' && slotFree)),
    breaker, breakerRetryAt: breaker === 'open' ? c.retryAt : null, consecutiveFailures: c.breakerFailures,
    requests, errorRate: requests === 0 ? 0 : failures / requests,
    ejectedUntil: ejected ? c.ejectedUntil : null, ejections: c.ejections,
    probe: c.probe === null ? null : { ...c.probe }, latencyMs, changedAt: c.changedAt,
  };
}

function trackClosed(c: EndpointCircuit, b: VerdictBatch, answered: number, settings: HealthSettings, now: number, sink: HealthTransition[]): void {
  // The longest run decides, not the last one: five failures then a success in one batch did open it.
  const peak = Math.max(c.breakerFailures + b.breakerLead, b.breakerLongest);
  c.breakerFailures = b.breakerBroken ? b.breakerTrail : c.breakerFailures + b.breakerTrail;
  const { breaker } = settings;
  // A failure in this batch must be part of it: a lower threshold from configure() waits for the next failure.
  if (b.breakerLongest > 0 && peak >= breaker.consecutiveFailures) {
    open(c, settings, now, `${peak} consecutive failures`, sink);
    return;
  }
  const w = c.window;
  // Judged at every answer, a success included: the minRequests-th request may be the one that tips it.
  if (answered === 0 || w.totalRequests < breaker.minRequests) return;
  const rate = w.totalFailures / w.totalRequests;
  if (rate >= breaker.errorRate) {
    open(c, settings, now, `error rate ${rate.toFixed(2)} over ${w.totalRequests} requests`, sink);
  }
}

function settleHalfOpen(c: EndpointCircuit, b: VerdictBatch, reported: number, failed: number, settings: HealthSettings, now: number, sink: HealthTransition[]): void {
  // Every report gives a slot back, neutral ones included (the caller left: no verdict, but the slot is free).
  c.halfOpenInFlight = Math.max(0, c.halfOpenInFlight - reported);
  if (c.halfOpenInFlight === 0) c.halfOpenLeaseUntil = null;
  if (failed > 0) {
    open(c, settings, now, 'failure while half-open', sink);
    return;
  }
  c.halfOpenSuccesses += b.success;
  const succeeded = c.halfOpenSuccesses;
  if (succeeded < settings.breaker.halfOpenRequests) return;
  const from = c.breaker;
  c.breaker = 'closed';
  c.openedAt = null;
  c.retryAt = null;
  clearHalfOpen(c);
  c.breakerFailures = 0;
  // The failures that opened it are history: a fresh window, or they would reopen it at once.
  resetWindow(c.window, settings.breaker.windowMs, now);
  change(c, 'breaker', from, 'closed', `${succeeded} half-open requests succeeded`, now, sink);
}

function open(c: EndpointCircuit, settings: HealthSettings, now: number, reason: string, sink: HealthTransition[]): void {
  const from = c.breaker;
  c.breaker = 'open';
  c.openedAt = now;
  c.retryAt = now + settings.breaker.openMs;
  clearHalfOpen(c);
  change(c, 'breaker', from, 'open', reason, now, sink);
}

function toHalfOpen(c: EndpointCircuit, settings: HealthSettings, now: number, sink: HealthTransition[]): void {
  const openFor = now - (c.openedAt ?? now);
  c.breaker = 'half_open';
  c.retryAt = null;
  clearHalfOpen(c);
  change(c, 'breaker', 'open', 'half_open', `open for ${openFor} ms, letting ${settings.breaker.halfOpenRequests} through`, now, sink);
}

function clearHalfOpen(c: EndpointCircuit): void {
  c.halfOpenInFlight = 0;
  c.halfOpenSuccesses = 0;
  c.halfOpenLeaseUntil = null;
}

function trackEjection(c: EndpointCircuit, b: VerdictBatch, settings: HealthSettings, now: number, poolCanEject: boolean, sink: HealthTransition[]): void {
  if (c.ejectedUntil !== null) {
    // Answers to attempts let through before the ejection say nothing new; the run starts again after it.
    if (now < c.ejectedUntil) return;
    endEjection(c, now, sink);
  }
  const peak = Math.max(c.ejectionFailures + b.ejectionLead, b.ejectionLongest);
  c.ejectionFailures = b.ejectionBroken ? b.ejectionTrail : c.ejectionFailures + b.ejectionTrail;
  const { ejection } = settings;
  // Held back by the pool cap, the run keeps growing: the endpoint is ejected at its next failure the cap allows.
  if (b.ejectionLongest === 0 || peak < ejection.consecutiveFailures || !poolCanEject) return;
  c.ejections++;
  const forMs = Math.min(ejection.maxEjectionMs, ejection.baseEjectionMs * c.ejections);
  c.ejectedUntil = now + forMs;
  c.ejectionFailures = 0;
  change(c, 'ejection', 'active', 'ejected', `${peak} consecutive failures, ejected for ${forMs} ms`, now, sink);
}

function endEjection(c: EndpointCircuit, now: number, sink: HealthTransition[]): void {
  c.ejectedUntil = null;
  c.ejectionFailures = 0;
  change(c, 'ejection', 'ejected', 'active', `ejection ${c.ejections} ended`, now, sink);
}

function change(c: EndpointCircuit, kind: HealthTransition['kind'], from: string, to: string, reason: string, now: number, sink: HealthTransition[]): void {
  c.changedAt = now;
  sink.push({ id: c.id, pool: c.pool, kind, from, to, reason, at: now });
}
