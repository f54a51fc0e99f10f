/**
 * The breaker's rolling window as plain data (it is stored as JSON in Redis): a ring of time buckets with
 * request and failure counts, plus their running totals so that reading the error rate costs nothing.
 * The window covers the current, partly filled bucket and the WINDOW_BUCKETS - 1 before it, so between
 * 9/10 of windowMs and windowMs of history; finer buckets would cost more per request for little gain.
 */
export const WINDOW_BUCKETS = 10;

export interface RollingWindow {
  /** Width of one bucket; a new windowMs (configure()) starts the window again. */
  bucketMs: number;
  /** floor(now / bucketMs) of the newest bucket; bucket i of the ring holds epoch ≡ i (mod WINDOW_BUCKETS). */
  epoch: number;
  requests: number[];
  failures: number[];
  totalRequests: number;
  totalFailures: number;
}

function bucketWidth(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / WINDOW_BUCKETS));
}

export function newWindow(windowMs: number, now: number): RollingWindow {
  const bucketMs = bucketWidth(windowMs);
  return {
    bucketMs, epoch: Math.floor(now / bucketMs), requests: new Array<number>(WINDOW_BUCKETS).fill(0),
    failures: new Array<number>(WINDOW_BUCKETS).fill(0), totalRequests: 0, totalFailures: 0,
  };
}

export function resetWindow(w: RollingWindow, windowMs: number, now: number): void {
  w.bucketMs = bucketWidth(windowMs);
  w.epoch = Math.floor(now / w.bucketMs);
  w.requests.fill(0);
  w.failures.fill(0);
  w.totalRequests = 0;
  w.totalFailures = 0;
}

/** Moves the window to `now`, dropping buckets that fell out. No allocation: this runs on every report. */
export function advanceWindow(w: RollingWindow, windowMs: number, now: number): void {
  if (w.bucketMs !== bucketWidth(windowMs)) {
    resetWindow(w, windowMs, now);
    return;
  }
  const epoch = Math.floor(now / w.bucketMs);
  // Same bucket (the common case), or a clock that stepped back: keep counting in the newest bucket.
  if (epoch <= w.epoch) return;
  const steps = Math.min(epoch - w.epoch, WINDOW_BUCKETS);
  for (let i = 1; i <= steps; i++) {
    const at = (w.epoch + i) % WINDOW_BUCKETS;
    w.totalRequests -= w.requests[at] ?? 0;
    w.totalFailures -= w.failures[at] ?? 0;
    w.requests[at] = 0;
    w.failures[at] = 0;
  }
  w.epoch = epoch;
}

/** Adds to the newest bucket; call advanceWindow first. */
export function addToWindow(w: RollingWindow, requests: number, failures: number): void {
  const at = w.epoch % WINDOW_BUCKETS;
  w.requests[at] = (w.requests[at] ?? 0) + requests;
  w.failures[at] = (w.failures[at] ?? 0) + failures;
  w.totalRequests += requests;
  w.totalFailures += failures;
}

/** The totals as of `now`, without changing the window (status() reads, it does not write). */
export function windowTotals(w: RollingWindow, now: number): { requests: number; failures: number } {
  const epoch = Math.floor(now / w.bucketMs);
  let requests = 0;
  let failures = 0;
  for (let e = Math.max(w.epoch, epoch) - WINDOW_BUCKETS + 1; e <= w.epoch; e++) {
    const at = ((e % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
    requests += w.requests[at] ?? 0;
    failures += w.failures[at] ?? 0;
  }
  return { requests, failures };
}

export function cloneWindow(w: RollingWindow): RollingWindow {
  return { ...w, requests: w.requests.slice(), failures: w.failures.slice() };
}
