import type { Logger } from 'pino';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Admission, AdmitRequest, Actuals, CheckState, Limiter, LimitCheck, Ticket } from './limiter.ts';
import type { MemoryLimiter } from './memory-limiter.ts';

export interface AdmissionsOptions {
  /** This replica's own limiter: the only one without a shared store, the fallback with one. */
  readonly local: MemoryLimiter;
  /** The limiter every replica shares (Redis), if configured. */
  readonly shared?: Limiter | undefined;
  readonly logger?: Pick<Logger, 'warn' | 'info'> | undefined;
}

export interface AdmissionPolicy {
  readonly onStoreError: 'open' | 'closed';
  readonly storeTimeoutMs: number;
}

/** An admitted request's ticket and which limiter took it (settled by the same one). */
interface Held { readonly ticket: Ticket; readonly by: Limiter }

/** At most this many admitted requests awaiting settlement are remembered; beyond, the oldest is forgotten. */
const MAX_HELD = 100_000;

/**
 * Runs admission decisions on the shared limiter with a bounded wait and, when it fails or is late, the
 * configured policy: judge locally (open) or refuse with SB_LIMITER_UNAVAILABLE (closed). Every request tries the
 * shared store again, so enforcement resumes by itself once it answers; the switch each way is logged once.
 */
export class Admissions {
  readonly #o: AdmissionsOptions;
  readonly #held = new Map<string, Held>();
  #degraded = false;
  /** performance.now() of the shared store's latest answer: whether it is making progress (withTimeout). */
  #lastAnswerAt = Number.NEGATIVE_INFINITY;

  constructor(options: AdmissionsOptions) {
    this.#o = options;
  }

  /** Whether the shared store failed on the last decision (for /health/detailed). */
  get degraded(): boolean {
    return this.#degraded;
  }

  get shared(): boolean {
    return this.#o.shared !== undefined;
  }

  /** The decision at once when this replica's own limiter takes it (no shared store); undefined otherwise. */
  admitLocally(request: AdmitRequest): Admission | undefined {
    return this.#o.shared === undefined ? this.#admitHere(request) : undefined;
  }

  async admit(request: AdmitRequest, policy: AdmissionPolicy): Promise<Admission> {
    const shared = this.#o.shared;
    if (shared === undefined) return this.#admitHere(request);
    let admission: Admission;
    try {
      admission = await withTimeout(shared.admit(request), policy.storeTimeoutMs, () => this.#lastAnswerAt);
      this.#lastAnswerAt = performance.now();
    } catch (err) {
      this.#storeFailed(err, policy);
      if (policy.onStoreError === 'closed') throw new GatewayError('SB_LIMITER_UNAVAILABLE', { cause: err });
      return this.#admitHere(request);
    }
    if (this.#degraded) {
      this.#degraded = false;
      this.#o.logger?.info({ event: 'limiter_store_recovered' }, 'the shared limiter store answers again: limits are shared by every replica again');
    }
    return this.#remember(admission, shared);
  }

  /**
   * Whether this is the first claim of `key` before `resetAt`, across every replica (a once-per-period event, such
   * as a budget alert): a counter of limit 1. Judged by this replica alone while the shared store fails.
   */
  async claimOnce(tag: string, key: string, resetAt: number, policy: AdmissionPolicy): Promise<boolean> {
    const request: AdmitRequest = { tag, id: `claim:${key}:${resetAt}`, checks: [{ key, kind: 'counter', limit: 1, windowMs: 0, resetAt, amount: 1 }] };
    const shared = this.#o.shared;
    if (shared !== undefined) {
      try {
        return (await withTimeout(shared.admit(request), policy.storeTimeoutMs, () => this.#lastAnswerAt)).ok;
      } catch (err) {
        this.#storeFailed(err, policy);
      }
    }
    return this.#o.local.admitNow(request).ok;
  }

  /** Where counters stand, without taking anything: from the shared store, or this replica's while it fails. */
  async peek(tag: string, checks: readonly LimitCheck[], policy: AdmissionPolicy): Promise<{ readonly states: readonly CheckState[]; readonly shared: boolean }> {
    const shared = this.#o.shared;
    if (shared !== undefined) {
      try {
        return { states: await withTimeout(shared.peek(tag, checks), policy.storeTimeoutMs, () => this.#lastAnswerAt), shared: true };
      } catch (err) {
        this.#storeFailed(err, policy);
      }
    }
    return { states: await this.#o.local.peek(tag, checks), shared: shared === undefined };
  }

  /**
   * After the request (its usage record): its holds given back, its token estimates replaced by the tokens it
   * took, its reservations by what it cost (micro-dollars; 0 for a failure).
   */
  settle(requestId: string, used: { readonly tokens: number; readonly costMicroUsd: number }): void {
    const held = this.#held.get(requestId);
    if (held === undefined) return;
    this.#held.delete(requestId);
    // This replica's own limiter takes the figures as they are (no per-key object on the common path).
    if (held.by === this.#o.local) {
      this.#o.local.settleUsed(held.ticket, used);
      return;
    }
    const actual: Record<string, number> = {};
    for (const check of held.ticket.checks) {
      if (check.unit === 'microUsd') actual[check.key] = used.costMicroUsd;
      else if (check.unit === 'tokens') actual[check.key] = used.tokens;
    }
    void held.by.settle(held.ticket, actual as Actuals);
  }

  async close(): Promise<void> {
    await this.#o.shared?.close();
    await this.#o.local.close();
  }

  /** This replica's own decision, remembered for settlement. */
  #admitHere(request: AdmitRequest): Admission {
    return this.#remember(this.#o.local.admitNow(request), this.#o.local);
  }

  #remember(admission: Admission, by: Limiter): Admission {
    // Only a ticket with something to give back or correct is kept: request counts are final when taken, so a
    // request limited by them alone costs no settlement (on Redis, no operation in the next batch).
    if (admission.ok && admission.ticket.checks.some(needsSettling)) {
      if (this.#held.size >= MAX_HELD) {
        const oldest = this.#held.keys().next();
        if (oldest.done !== true) this.#held.delete(oldest.value);
      }
      this.#held.set(admission.ticket.id, { ticket: admission.ticket, by });
    }
    return admission;
  }

  #storeFailed(err: unknown, policy: AdmissionPolicy): void {
    if (this.#degraded) return;
    this.#degraded = true;
    this.#o.logger?.warn({ event: 'limiter_store_failed', policy: policy.onStoreError, err: err instanceof Error ? err.message : String(err) },
      policy.onStoreError === 'open' ? 'the shared limiter store failed: each replica enforces limits on its own until it is back' : 'the shared limiter store failed: limited requests are refused until it is back');
  }
}

/** However long the store keeps answering other requests, a decision waits no longer than this for its own answer. */
const MAX_WAIT_MS = 1_000;

/**
 * The store's answer, or a rejection once the store has gone `ms` without answering anything. A request that
 * waited `ms` while answers to other requests kept arriving (`lastAnswerAt`) is queued behind them — a burst on a
 * saturated CPU, whose event loop reads the answers late — not facing a slow store: it waits on, up to
 * MAX_WAIT_MS. A store that hangs or stopped answering shows no progress and is given up on after `ms`. The
 * check runs after one setImmediate, once the sockets are read, so an answer already in is taken.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, lastAnswerAt: () => number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const started = performance.now();
    let settled = false;
    let timer: ReturnType<typeof setTimeout>;
    const arm = (due: number): void => {
      timer = setTimeout(() => setImmediate(() => {
        if (settled) return;
        const now = performance.now();
        const busy = now - due > ms / 2;
        const progressing = now - lastAnswerAt() < ms;
        if ((busy || progressing) && now - started < MAX_WAIT_MS) arm(now + ms);
        else reject(new Error(`the shared limiter store did not answer within ${Math.round(now - started)} ms`));
      }), ms);
    };
    arm(started + ms);
    promise.then((value) => { settled = true; clearTimeout(timer); resolve(value); }, (err: unknown) => { settled = true; clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err))); });
  });
}

function needsSettling(check: LimitCheck): boolean {
  return check.kind === 'concurrency' || check.unit === 'tokens' || check.unit === 'microUsd';
}
