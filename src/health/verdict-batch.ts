import type { AttemptVerdict } from './health-registry.ts';

/**
 * Verdicts of several attempts in the order they were reported, summarised: counts, and the runs of failures
 * that "consecutive" thresholds need (the one at the start, which continues the circuit's own run, the longest,
 * and the one at the end). The Redis registry sends one per endpoint per flush, so its order matters only
 * through these runs. Mutable and reusable: the hot path fills one instead of allocating.
 */
export interface VerdictBatch {
  success: number;
  failure: number;
  connectFailure: number;
  rejected: number;
  neutral: number;
  /** Breaker runs: failure, connect_failure and rejected extend them; success ends them. */
  breakerLead: number;
  breakerLongest: number;
  breakerTrail: number;
  /** Whether a success ended a breaker run (so the circuit's own run does not continue into breakerTrail). */
  breakerBroken: boolean;
  /** Ejection runs (Envoy's consecutive_5xx): failure and connect_failure extend them; success and rejected end them. */
  ejectionLead: number;
  ejectionLongest: number;
  ejectionTrail: number;
  ejectionBroken: boolean;
}

export function emptyBatch(): VerdictBatch {
  return {
    success: 0, failure: 0, connectFailure: 0, rejected: 0, neutral: 0,
    breakerLead: 0, breakerLongest: 0, breakerTrail: 0, breakerBroken: false,
    ejectionLead: 0, ejectionLongest: 0, ejectionTrail: 0, ejectionBroken: false,
  };
}

export function resetBatch(b: VerdictBatch): void {
  b.success = 0; b.failure = 0; b.connectFailure = 0; b.rejected = 0; b.neutral = 0;
  b.breakerLead = 0; b.breakerLongest = 0; b.breakerTrail = 0; b.breakerBroken = false;
  b.ejectionLead = 0; b.ejectionLongest = 0; b.ejectionTrail = 0; b.ejectionBroken = false;
}

export function batchSize(b: VerdictBatch): number {
  return b.success + b.failure + b.connectFailure + b.rejected + b.neutral;
}

/** Attempts that reached a verdict on the endpoint (neutral ones did not). */
export function answeredIn(b: VerdictBatch): number {
  return b.success + b.failure + b.connectFailure + b.rejected;
}

export function breakerFailuresIn(b: VerdictBatch): number {
  return b.failure + b.connectFailure + b.rejected;
}

export function addVerdict(b: VerdictBatch, verdict: AttemptVerdict): void {
  switch (verdict) {
    case 'success':
      b.success++;
      endBreakerRun(b);
      endEjectionRun(b);
      return;
    case 'rejected':
      // A 429 is the endpoint answering: it feeds the breaker but ends an ejection run, as a non-5xx does in Envoy.
      b.rejected++;
      extendBreakerRun(b);
      endEjectionRun(b);
      return;
    case 'failure':
    case 'connect_failure':
      if (verdict === 'failure') b.failure++;
      else b.connectFailure++;
      extendBreakerRun(b);
      extendEjectionRun(b);
      return;
    case 'neutral':
      b.neutral++;
  }
}

/** `first` becomes `first` followed by `later` (a flush that failed before it wrote goes back in front). */
export function appendBatch(first: VerdictBatch, later: VerdictBatch): void {
  first.success += later.success;
  first.failure += later.failure;
  first.connectFailure += later.connectFailure;
  first.rejected += later.rejected;
  first.neutral += later.neutral;
  first.breakerLongest = Math.max(first.breakerLongest, later.breakerLongest, first.breakerTrail + later.breakerLead);
  if (!first.breakerBroken) first.breakerLead += later.breakerLead;
  first.breakerTrail = later.breakerBroken ? later.breakerTrail : first.breakerTrail + later.breakerTrail;
  first.breakerBroken ||= later.breakerBroken;
  first.ejectionLongest = Math.max(first.ejectionLongest, later.ejectionLongest, first.ejectionTrail + later.ejectionLead);
  if (!first.ejectionBroken) first.ejectionLead += later.ejectionLead;
  first.ejectionTrail = later.ejectionBroken ? later.ejectionTrail : first.ejectionTrail + later.ejectionTrail;
  first.ejectionBroken ||= later.ejectionBroken;
}

/** A batch of these verdicts, in this order (tests, and callers that have them as a list). */
export function batchOf(verdicts: readonly AttemptVerdict[]): VerdictBatch {
  const b = emptyBatch();
  for (const v of verdicts) addVerdict(b, v);
  return b;
}

function extendBreakerRun(b: VerdictBatch): void {
  b.breakerTrail++;
  if (!b.breakerBroken) b.breakerLead++;
  if (b.breakerTrail > b.breakerLongest) b.breakerLongest = b.breakerTrail;
}

function endBreakerRun(b: VerdictBatch): void {
  b.breakerBroken = true;
  b.breakerTrail = 0;
}

function extendEjectionRun(b: VerdictBatch): void {
  b.ejectionTrail++;
  if (!b.ejectionBroken) b.ejectionLead++;
  if (b.ejectionTrail > b.ejectionLongest) b.ejectionLongest = b.ejectionTrail;
}

function endEjectionRun(b: VerdictBatch): void {
  b.ejectionBroken = true;
  b.ejectionTrail = 0;
}
