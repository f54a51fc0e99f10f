/**
 * The limiter port: one admission decision per request over all of its limits (rate windows, concurrency, budget
 * reservations), taken together or not at all, and one settlement after it. Memory (one replica) and Redis (every
 * replica, one Lua script per decision) implement it; both pass test/contract/limiter.contract.ts.
 */

/**
 * - `window`: a sliding window over the last `windowMs`: the amounts admitted in it add up to at most `limit`.
 *   Up to LOG_MAX_LIMIT it is exact: each admission is logged with its time and leaves the window `windowMs`
 *   later. Above, admissions are summed per 1/WINDOW_BUCKETS of the window and a slot leaves once its last
 *   millisecond has: memory stays WINDOW_BUCKETS + 1 slots however high the limit and the traffic, and no window
 *   ever holds more than `limit` (a slot is counted whole while any part of it is inside, so at the window's
 *   edge up to one slot's share is refused early);
 * - `concurrency`: at most `limit` admissions held at once; each is held until settled, or `windowMs` at most (a
 *   replica that died holding one gives it back then);
 * - `counter`: a running total for a calendar period (a budget), at most `limit`; it ends at `resetAt`;
 * - `bucket`: a token bucket for bursts (seed 004): `limit` tokens, refilled at `limit` per `windowMs`; a request
 *   takes `amount` of them.
 */
export type LimitKind = 'window' | 'concurrency' | 'counter' | 'bucket';

/** Windows with a higher limit are counted in slots (see LimitKind). */
export const LOG_MAX_LIMIT = 1000;
/** Slots per window above LOG_MAX_LIMIT. */
export const WINDOW_BUCKETS = 60;

/** A window's slot length in ms; 0 for an exact log. The same formula in both adapters (lua/limiter.lua). */
export function slotMsOf(check: Pick<LimitCheck, 'kind' | 'limit' | 'windowMs'>): number {
  return check.kind === 'window' && check.limit > LOG_MAX_LIMIT ? Math.max(1, Math.ceil(check.windowMs / WINDOW_BUCKETS)) : 0;
}

/** One limit a request must pass: plain data, made from the configuration and the caller. */
export interface LimitCheck {
  /** The counter's name, the same on every replica ("ws:acme:rpm"); unique within a request. */
  readonly key: string;
  readonly kind: LimitKind;
  /** The most the counter may hold: requests, tokens, concurrent requests or micro-dollars. */
  readonly limit: number;
  /** window: its length; concurrency: the longest a hold lasts; bucket: the time to refill it whole; counter: unused (0). */
  readonly windowMs: number;
  /** counter: epoch ms when the period ends and the counter starts again from 0. */
  readonly resetAt?: number;
  /** What this request takes: 1 request, its estimated tokens, its worst-case cost; concurrency: 1. */
  readonly amount: number;
  /** What `amount` counts; tokens and micro-dollars are estimates, settled to the real figure. Default requests. */
  readonly unit?: 'requests' | 'tokens' | 'microUsd';
}

export interface AdmitRequest {
  /**
   * What every check of the request shares (its workspace, else its key, else the client address): the Redis
   * adapter puts all of a request's counters under this hash tag, so one script can take them on a Redis Cluster.
   */
  readonly tag: string;
  /** Unique per request (the request id): names its log entries and its concurrency hold. */
  readonly id: string;
  readonly checks: readonly LimitCheck[];
}

/** Where one counter stands after the decision: the figures of X-RateLimit-* headers. */
export interface CheckState {
  readonly key: string;
  readonly limit: number;
  /** What is left for the next request (never below 0). */
  readonly remaining: number;
  /** Epoch ms by which the counter will have room again (window: when its oldest entry leaves). */
  readonly resetAt: number;
}

export type Admission =
  | { readonly ok: true; readonly states: readonly CheckState[]; readonly ticket: Ticket }
  | { readonly ok: false; readonly states: readonly CheckState[]; readonly refusedBy: LimitCheck; readonly retryAfterMs: number };

/** What settle needs: which request, which counters it took. */
export interface Ticket {
  readonly tag: string;
  readonly id: string;
  readonly checks: readonly LimitCheck[];
  /** Epoch ms of the admission: a window correction goes where the admission went, and leaves with it. */
  readonly at: number;
}

/** After the request: what it really took, per window or counter key (tokens counted, cost billed). */
export type Actuals = Readonly<Record<string, number>>;

export interface Limiter {
  /** Checks and takes every limit of the request at once, or none of them. */
  admit(request: AdmitRequest): Promise<Admission>;
  /**
   * Ends a request: concurrency holds are given back, and each window or counter named in `actual` is corrected
   * from the amount admitted to the real one (estimated tokens → counted tokens, reserved cost → billed cost;
   * a failed request bills 0, releasing its reservation). Never throws: a failure is logged by the adapter.
   */
  settle(ticket: Ticket, actual: Actuals): Promise<void>;
  /** Current figures of counters, without taking anything (GET /api/workspaces/{id}/budget). */
  peek(tag: string, checks: readonly LimitCheck[]): Promise<readonly CheckState[]>;
  close(): Promise<void>;
}
