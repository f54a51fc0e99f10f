import { slotMsOf, type Actuals, type Admission, type AdmitRequest, type CheckState, type Limiter, type LimitCheck, type Ticket } from './limiter.ts';

/** One admission of an exact log, or one slot of a slotted window (id "s<index>", `at` its last millisecond). */
interface Entry { readonly id: string; readonly at: number; amount: number }
/** `idleAt`: when the counter will hold nothing (its last admission left, its period ended): swept after that. */
interface WindowState { readonly kind: 'window'; readonly slotMs: number; entries: Entry[]; head: number; sum: number; readonly byId: Map<string, Entry>; idleAt: number }
interface HoldState { readonly kind: 'concurrency'; readonly holds: Map<string, number>; idleAt: number }
interface CounterState { readonly kind: 'counter'; value: number; resetAt: number; idleAt: number }
interface BucketState { readonly kind: 'bucket'; tokens: number; at: number; idleAt: number }
type State = WindowState | HoldState | CounterState | BucketState;

/**
 * The limiter of one replica: every counter in this process's memory, decisions synchronous (so all of a
 * request's checks are taken together by construction). A window is an exact log of its admissions, compacted as
 * they leave it, or above LOG_MAX_LIMIT its slots: memory per counter is bounded either way.
 */
export class MemoryLimiter implements Limiter {
  /** Counters by tag, then by check key: the keys are the same string objects request after request. */
  readonly #states = new Map<string, Map<string, State>>();
  #sweptAt = Number.NEGATIVE_INFINITY;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    return this.admitNow(request);
  }

  /** The decision without a promise: the HTTP layer's fast path when no shared store is configured. */
  admitNow(request: AdmitRequest): Admission {
    const now = this.#now();
    const { checks } = request;
    const states = checks.map((check) => this.#state(request.tag, check, now));
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i] as LimitCheck;
      const room = roomFor(states[i] as State, check, now);
      if (room.retryAfterMs !== undefined) {
        return { ok: false, refusedBy: check, retryAfterMs: room.retryAfterMs, states: checks.map((c, j) => figures(states[j] as State, c, now)) };
      }
    }
    checks.forEach((check, i) => take(states[i] as State, request.id, check, now));
    return { ok: true, states: checks.map((c, i) => figures(states[i] as State, c, now)), ticket: { tag: request.tag, id: request.id, checks, at: now } };
  }

  async settle(ticket: Ticket, actual: Actuals): Promise<void> {
    this.settleNow(ticket, actual);
  }

  settleNow(ticket: Ticket, actual: Actuals): void {
    this.#settle(ticket, (check) => actual[check.key]);
  }

  /** settleNow with what the request used: its tokens for the token checks, its cost for the budgets. */
  settleUsed(ticket: Ticket, used: { readonly tokens: number; readonly costMicroUsd: number }): void {
    this.#settle(ticket, (check) => (check.unit === 'tokens' ? used.tokens : check.unit === 'microUsd' ? used.costMicroUsd : undefined));
  }

  #settle(ticket: Ticket, realOf: (check: LimitCheck) => number | undefined): void {
    const tagged = this.#states.get(ticket.tag);
    if (tagged === undefined) return;
    for (const check of ticket.checks) {
      const state = tagged.get(check.key);
      if (state === undefined) continue;
      if (state.kind === 'concurrency') {
        state.holds.delete(ticket.id);
        continue;
      }
      const real = realOf(check);
      if (real === undefined) continue;
      const delta = real - check.amount;
      if (state.kind === 'window') {
        // An entry that already left the window has nothing left to correct.
        const entry = state.slotMs > 0 ? slotEntry(state, ticket.at) : state.byId.get(ticket.id);
        if (entry === undefined) continue;
        entry.amount += delta;
        state.sum += delta;
      } else if (state.kind === 'counter' && state.resetAt === (check.resetAt ?? 0)) {
        // A counter of a period that has ended since started again from 0: the old period's reservation is gone.
        state.value = Math.max(0, state.value + delta);
      }
    }
  }

  async peek(tag: string, checks: readonly LimitCheck[]): Promise<readonly CheckState[]> {
    const now = this.#now();
    return checks.map((c) => figures(this.#state(tag, c, now), c, now));
  }

  async close(): Promise<void> {
    this.#states.clear();
  }

  #state(tag: string, check: LimitCheck, now: number): State {
    let tagged = this.#states.get(tag);
    if (tagged === undefined) {
      tagged = new Map();
      this.#states.set(tag, tagged);
    }
    let state = tagged.get(check.key);
    // A limit that moved across LOG_MAX_LIMIT changes how the window counts: it starts again.
    if (state === undefined || state.kind !== check.kind || (state.kind === 'window' && state.slotMs !== slotMsOf(check))) {
      state = fresh(check);
      tagged.set(check.key, state);
    }
    prune(state, check, now);
    state.idleAt = idleAt(check, now);
    if (now - this.#sweptAt >= SWEEP_EVERY_MS) this.#sweep(now);
    return state;
  }

  /**
   * Drops counters that hold nothing any more, so the keys, clients and workspaces seen once do not stay in
   * memory: a minute's scan of every counter, against the one allocation each admission already makes.
   */
  #sweep(now: number): void {
    this.#sweptAt = now;
    for (const [tag, tagged] of this.#states) {
      for (const [key, state] of tagged) if (state.idleAt <= now) tagged.delete(key);
      if (tagged.size === 0) this.#states.delete(tag);
    }
  }

  /** Counters held, for tests of the sweep. */
  get size(): number {
    let n = 0;
    for (const tagged of this.#states.values()) n += tagged.size;
    return n;
  }
}

const SWEEP_EVERY_MS = 60_000;

/** When a counter used at `now` will hold nothing: its window and a slot past it, its hold, its refill, its period. */
function idleAt(check: LimitCheck, now: number): number {
  if (check.kind === 'counter') return Math.max(now, check.resetAt ?? 0);
  return now + check.windowMs + slotMsOf(check);
}

function fresh(check: LimitCheck): State {
  switch (check.kind) {
    case 'window': return { kind: 'window', slotMs: slotMsOf(check), entries: [], head: 0, sum: 0, byId: new Map(), idleAt: 0 };
    case 'concurrency': return { kind: 'concurrency', holds: new Map(), idleAt: 0 };
    case 'counter': return { kind: 'counter', value: 0, resetAt: check.resetAt ?? 0, idleAt: 0 };
    case 'bucket': return { kind: 'bucket', tokens: check.limit, at: Number.NEGATIVE_INFINITY, idleAt: 0 };
  }
}

function prune(state: State, check: LimitCheck, now: number): void {
  if (state.kind === 'window') {
    const from = now - check.windowMs;
    while (state.head < state.entries.length) {
      const entry = state.entries[state.head] as Entry;
      if (entry.at > from) break;
      state.sum -= entry.amount;
      state.byId.delete(entry.id);
      state.head++;
    }
    // Compact once the dead prefix is half the log, so memory follows what the window holds.
    if (state.head > 32 && state.head * 2 > state.entries.length) {
      state.entries = state.entries.slice(state.head);
      state.head = 0;
    }
    if (state.head === state.entries.length) state.sum = 0;
  } else if (state.kind === 'concurrency') {
    for (const [id, until] of state.holds) if (until <= now) state.holds.delete(id);
  } else if (state.kind === 'bucket') {
    state.tokens = refilled(state.tokens, state.at, check, now);
    state.at = now;
  } else if ((check.resetAt ?? 0) !== state.resetAt && now >= state.resetAt) {
    state.value = 0;
    state.resetAt = check.resetAt ?? 0;
  }
}

/** undefined: room; otherwise when there will be. */
function roomFor(state: State, check: LimitCheck, now: number): { readonly retryAfterMs?: number } {
  if (state.kind === 'window') {
    if (state.sum + check.amount <= check.limit) return {};
    // When enough of the oldest entries leave for this amount to fit; one over the limit alone: a whole window.
    if (check.amount > check.limit) return { retryAfterMs: check.windowMs };
    let freed = 0;
    for (let i = state.head; i < state.entries.length; i++) {
      const entry = state.entries[i] as Entry;
      freed += entry.amount;
      if (state.sum - freed + check.amount <= check.limit) return { retryAfterMs: Math.max(1, entry.at + check.windowMs - now) };
    }
    return { retryAfterMs: check.windowMs };
  }
  if (state.kind === 'bucket') {
    if (state.tokens >= check.amount) return {};
    if (check.amount > check.limit) return { retryAfterMs: check.windowMs };
    return { retryAfterMs: Math.max(1, Math.ceil(((check.amount - state.tokens) * check.windowMs) / check.limit)) };
  }
  if (state.kind === 'concurrency') {
    if (state.holds.size + 1 <= check.limit) return {};
    // A hold ends when its request does; a second is a fair guess, its longest life the bound.
    return { retryAfterMs: Math.min(1000, check.windowMs) };
  }
  if (state.value + check.amount <= check.limit) return {};
  return { retryAfterMs: Math.max(1, state.resetAt - now) };
}

function take(state: State, id: string, check: LimitCheck, now: number): void {
  if (state.kind === 'window') {
    const slotted = state.slotMs > 0;
    // Slots are appended in time order: the current one, if it exists, is the last entry.
    const existing = slotted ? slotEntry(state, now) : undefined;
    if (existing !== undefined) {
      existing.amount += check.amount;
    } else {
      const key = slotted ? slotId(now, state.slotMs) : id;
      const entry: Entry = { id: key, at: slotted ? slotEnd(now, state.slotMs) : now, amount: check.amount };
      state.entries.push(entry);
      state.byId.set(key, entry);
    }
    state.sum += check.amount;
  } else if (state.kind === 'concurrency') {
    state.holds.set(id, now + check.windowMs);
  } else if (state.kind === 'bucket') {
    state.tokens -= check.amount;
  } else {
    state.value += check.amount;
  }
}

function figures(state: State, check: LimitCheck, now: number): CheckState {
  if (state.kind === 'window') {
    const oldest = state.entries[state.head];
    return { key: check.key, limit: check.limit, remaining: Math.max(0, check.limit - state.sum), resetAt: (oldest?.at ?? now) + check.windowMs };
  }
  if (state.kind === 'concurrency') return { key: check.key, limit: check.limit, remaining: Math.max(0, check.limit - state.holds.size), resetAt: now };
  if (state.kind === 'bucket') {
    return { key: check.key, limit: check.limit, remaining: Math.max(0, Math.floor(state.tokens)), resetAt: now + Math.ceil(((check.limit - state.tokens) * check.windowMs) / check.limit) };
  }
  return { key: check.key, limit: check.limit, remaining: Math.max(0, check.limit - state.value), resetAt: state.resetAt };
}

/** A bucket's tokens at `now`: refilled at `limit` per `windowMs` since `at`, never above `limit`. */
function refilled(tokens: number, at: number, check: LimitCheck, now: number): number {
  if (at === Number.NEGATIVE_INFINITY || check.windowMs <= 0) return check.limit;
  return Math.min(check.limit, tokens + ((now - at) * check.limit) / check.windowMs);
}

/** The last millisecond of the slot `at` falls in: its entry's time. */
function slotEnd(at: number, slotMs: number): number {
  return (Math.floor(at / slotMs) + 1) * slotMs - 1;
}

/** The entry of the slot `at` falls in, if the window still holds it: searched from the newest, where it usually is. */
function slotEntry(state: WindowState, at: number): Entry | undefined {
  const end = slotEnd(at, state.slotMs);
  for (let i = state.entries.length - 1; i >= state.head; i--) {
    const entry = state.entries[i] as Entry;
    if (entry.at === end) return entry;
    if (entry.at < end) return undefined;
  }
  return undefined;
}

/** The id of the slot `at` falls in. */
function slotId(at: number, slotMs: number): string {
  return `s${Math.floor(at / slotMs)}`;
}
