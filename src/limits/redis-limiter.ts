import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { slotMsOf, type Actuals, type Admission, type AdmitRequest, type CheckState, type Limiter, type LimitCheck, type LimitKind, type Ticket } from './limiter.ts';

export interface RedisLimiterOptions {
  /** Created (and closed) by the caller, with commandTimeout: the adapter adds no waiting of its own. */
  readonly redis: Redis;
  /** Put before every key ("sb:limits:"). */
  readonly keyPrefix: string;
  /** Default Date.now; sent to the scripts so every replica (and a test) decides with one clock formula. */
  readonly now?: () => number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

/** admit() rejects with this when Redis fails; the HTTP layer then applies its fail-open / fail-closed policy. */
export class LimiterStoreError extends Error {
  override readonly name = 'LimiterStoreError';
  /** timeout | connection | reply | other: enough to tell an outage from a bug, without the error's text. */
  readonly kind: FailureKind;

  constructor(what: string, kind: FailureKind, cause: unknown) {
    super(`limiter: Redis failed to ${what} (${kind})`, { cause });
    this.kind = kind;
  }
}

type FailureKind = 'timeout' | 'connection' | 'reply' | 'other';

/** A window's log outlives its last entry by this much, for replicas whose clocks disagree a little. */
const TTL_MARGIN_MS = 5_000;
/** A counter is kept this long past its period's end (a late settle still finds it). */
const DAY_MS = 86_400_000;
/**
 * A settlement waits this long for an admission to ride with: under load every batch carries the settlements of
 * the requests that just ended, so a request costs one script call, not two. A concurrency hold is given back
 * (and a reservation corrected) at most this much later than the request ended.
 */
export const SETTLE_DELAY_MS = 5;
/** At most this many operations per script call: one call holds Redis for a short time, and answers keep coming. */
const MAX_OPS_PER_CALL = 64;
/** Key bases remembered per tag; beyond, the memo starts again (tags are workspaces and keys: few). */
const MAX_BASES = 10_000;

const LIMITER_LUA = readFileSync(new URL('./lua/limiter.lua', import.meta.url), 'utf8');
/** What EVALSHA names it by: Redis's own SHA-1 of the script's text. */
const LIMITER_SHA = createHash('sha1').update(LIMITER_LUA).digest('hex');

type ScriptArg = string | number;

const KIND_CODE: Readonly<Record<LimitKind, string>> = { window: 'w', concurrency: 'c', counter: 'b', bucket: 't' };

/** One queued operation: its checks (rounded), and what to do with its reply. */
interface Op {
  readonly op: 'a' | 'p' | 's';
  readonly id: string;
  readonly checks: readonly LimitCheck[];
  /** settle: what the request really took, and when it was admitted. */
  readonly actual?: Actuals;
  readonly at?: number;
  readonly answer: (reply: unknown, now: number) => void;
  readonly fail: (err: LimiterStoreError) => void;
}

/**
 * The limiter shared by every replica. Each admission decision is taken inside one Lua script (lua/limiter.lua)
 * that tests every check of the request and takes all of them or none, so replicas never race each other between
 * check and take. Semantics are the memory adapter's (src/limits/memory-limiter.ts); both pass
 * test/contract/limiter.contract.ts.
 *
 * Operations are batched, the way a database's group commit is: with no call out, an admission goes at once; while
 * one is out, what this replica asks gathers and goes when a reply comes back, as one script call per tag (at most
 * MAX_OPS_PER_CALL operations each), all in one write. A lone request waits for nobody; under load one round trip
 * serves many requests, and a settlement rides with a later admission (SETTLE_DELAY_MS at most), so a request
 * costs at most one script call — the client's encoding and the socket writes were most of the limiter's CPU.
 *
 * Keys: `${keyPrefix}{${tag}}:${check.key}` (an exact window: plus `:log`, `:amt`, `:sum`; a window counted in
 * slots: plus `:slots`), so every key of a request
 * shares one Redis Cluster hash tag and one script may touch them all. Braces and `%` in the tag are
 * percent-escaped (injective, and the tag's braces stay the only ones); an empty tag becomes `%`, which no
 * escaped tag can be, because `{}` would make Redis hash each whole key on its own.
 *
 * Amounts and limits are stored as integers (requests, tokens and micro-dollars are): an amount is rounded up
 * (a reservation never takes less than asked), a limit down, an actual to the nearest. That keeps INCRBY exact
 * and the script's replies plain integers.
 *
 * The script is called by its SHA; a Redis that lost it (restarted, flushed) answers NOSCRIPT and the call is
 * sent again with the script's text (nothing ran, so nothing is taken twice). Every call is bounded by the
 * client's commandTimeout. admit() and peek() reject with LimiterStoreError when Redis fails; settle() never
 * rejects, and logs one warning per kind of failure until a settle succeeds again (an outage is not a warning
 * per request).
 */
export class RedisLimiter implements Limiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #logger: { warn(obj: object, msg: string): void } | undefined;
  readonly #warned = new Set<FailureKind>();
  readonly #bases = new Map<string, string>();
  /** Operations waiting for the next flush, by tag, in the order they came. */
  #queue = new Map<string, Op[]>();
  #queued = 0;
  /** Admissions and peeks among them (a settlement alone can wait for company). */
  #waiting = 0;
  /** Script calls sent and not answered yet. */
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RedisLimiterOptions) {
    if (typeof options.keyPrefix !== 'string') throw new TypeError('redis limiter: keyPrefix must be a string');
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    // Loaded whenever the connection is (re)established, so that a burst of first requests — at start, or after
    // Redis restarted empty — runs EVALSHA at once instead of each getting NOSCRIPT and sending the text again.
    const load = (): void => { this.#redis.script('LOAD', LIMITER_LUA).catch(() => undefined); };
    this.#redis.on('ready', load);
    if (this.#redis.status === 'ready') load();
  }

  admit(request: AdmitRequest): Promise<Admission> {
    const checks = rounded(request.checks);
    if (checks.length === 0) return Promise.resolve({ ok: true, states: [], ticket: { tag: request.tag, id: request.id, checks: request.checks, at: this.#now() } });
    return new Promise<Admission>((resolve, reject) => {
      this.#enqueue(request.tag, {
        op: 'a', id: request.id, checks, fail: reject,
        answer: (reply, now) => {
          const values = integers(reply);
          if (values[0] === 1) {
            resolve({ ok: true, states: states(request.checks, values, 1), ticket: { tag: request.tag, id: request.id, checks: request.checks, at: now } });
            return;
          }
          const index = values[1];
          const retryAfterMs = values[2];
          const refusedBy = values[0] === 0 && index !== undefined ? request.checks[index - 1] : undefined;
          if (refusedBy === undefined || retryAfterMs === undefined) throw malformed();
          resolve({ ok: false, refusedBy, retryAfterMs, states: states(request.checks, values, 3) });
        },
      });
    });
  }

  settle(ticket: Ticket, actual: Actuals): Promise<void> {
    const checks = rounded(ticket.checks);
    if (checks.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#enqueue(ticket.tag, {
        op: 's', id: ticket.id, checks, actual, at: ticket.at,
        answer: () => {
          this.#warned.clear();
          resolve();
        },
        fail: (err) => {
          if (!this.#warned.has(err.kind)) {
            this.#warned.add(err.kind);
            this.#logger?.warn({ err, kind: err.kind }, 'limiter: settling in Redis failed; holds end with their bound, corrections are lost');
          }
          resolve();
        },
      });
    });
  }

  peek(tag: string, checks: readonly LimitCheck[]): Promise<readonly CheckState[]> {
    const taken = rounded(checks);
    if (taken.length === 0) return Promise.resolve([]);
    return new Promise<readonly CheckState[]>((resolve, reject) => {
      this.#enqueue(tag, {
        op: 'p', id: '', checks: taken, fail: reject,
        answer: (reply) => {
          const values = integers(reply);
          if (values[0] !== 2) throw malformed();
          resolve(states(checks, values, 1));
        },
      });
    });
  }

  /** The client is the caller's: it closes it. What is still queued goes out now. */
  async close(): Promise<void> {
    this.#flush();
  }

  #enqueue(tag: string, op: Op): void {
    const ops = this.#queue.get(tag);
    if (ops === undefined) this.#queue.set(tag, [op]);
    else ops.push(op);
    this.#queued++;
    if (op.op !== 's') this.#waiting++;
    // With no call out, a decision goes at once: a lone request waits for nobody. While one is out, operations
    // gather and go when a reply comes, or as soon as a batch is full (a burst keeps Redis busy while this process
    // reads the next requests): under load one call carries many, without waiting on a timer.
    if (this.#queued >= MAX_OPS_PER_CALL || (op.op !== 's' && this.#inFlight === 0)) {
      this.#flush();
      return;
    }
    if (op.op === 's' && this.#timer === undefined) this.#timer = setTimeout(() => this.#flush(), SETTLE_DELAY_MS);
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queued === 0) return;
    const queue = this.#queue;
    this.#queue = new Map();
    this.#queued = 0;
    this.#waiting = 0;
    const now = this.#now();
    const calls: Call[] = [];
    for (const [tag, ops] of queue) {
      for (let i = 0; i < ops.length; i += MAX_OPS_PER_CALL) calls.push(this.#call(tag, ops.slice(i, i + MAX_OPS_PER_CALL), now));
    }
    // One write for all of them (corked), each call answered as its reply arrives.
    const stream = calls.length > 1 && this.#redis.status === 'ready' ? this.#redis.stream : undefined;
    stream?.cork();
    try {
      for (const call of calls) {
        this.#inFlight++;
        this.#redis.evalsha(LIMITER_SHA, call.keys.length, ...call.keys, ...call.args).then((reply) => {
          this.#replied();
          answer(call, reply, now);
        }, (err: unknown) => this.#retry(call, err, now));
      }
    } finally {
      stream?.uncork();
    }
  }

  /** A call came back: what gathered meanwhile goes now. */
  #replied(): void {
    this.#inFlight--;
    if (this.#waiting > 0) this.#flush();
  }

  /** After a failed EVALSHA: the script's text when Redis had lost it (nothing ran), otherwise the failure. */
  #retry(call: Call, err: unknown, now: number): void {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) {
      this.#replied();
      failAll(call, 'run the limiter script', err);
      return;
    }
    this.#redis.eval(LIMITER_LUA, call.keys.length, ...call.keys, ...call.args).then((reply) => {
      this.#replied();
      answer(call, reply, now);
    }, (e: unknown) => {
      this.#replied();
      failAll(call, 'run the limiter script', e);
    });
  }

  /** One script call for `ops` of one tag: each key once in KEYS, each check naming its first key's index. */
  #call(tag: string, ops: readonly Op[], now: number): Call {
    const base = this.#base(tag);
    const keys: string[] = [];
    // By check key: the same string objects request after request (request-checks.ts), so lookups hash nothing new.
    const index = new Map<string, { readonly k: number; readonly layout: string }>();
    const keyIndex = (c: LimitCheck): number => {
      const { layout } = memoOf(c);
      const seen = index.get(c.key);
      if (seen !== undefined && seen.layout === layout) return seen.k;
      const k = keys.length + 1;
      // A key counted two ways in one batch (a limit moved across LOG_MAX_LIMIT meanwhile): both, apart.
      if (seen === undefined) index.set(c.key, { k, layout });
      const key = base + c.key;
      if (layout === ':log') keys.push(`${key}:log`, `${key}:amt`, `${key}:sum`);
      else keys.push(key + layout);
      return k;
    };
    const lines: string[] = [];
    for (const op of ops) {
      const specs: string[] = [];
      for (const c of op.checks) {
        const k = keyIndex(c);
        if (op.op !== 's') {
          specs.push(`${memoOf(c).spec}${c.amount},${k}`);
          continue;
        }
        // c.amount is rounded as admit rounded it, so the delta matches what was taken.
        const real = op.actual?.[c.key];
        // A slotted window is corrected in the slot the admission went to: its index rides in resetAt's place.
        const slotMs = slotMsOf(c);
        const where = slotMs > 0 ? Math.floor((op.at ?? now) / slotMs) : c.resetAt ?? 0;
        specs.push(`${memoOf(c).code},${c.amount},${where},${real === undefined || c.kind === 'concurrency' ? '' : Math.max(0, Math.round(real))},${k}`);
      }
      lines.push(`${op.op}\t${lineSafe(op.id)}\t${specs.join(';')}`);
    }
    return { ops, keys, args: [now, TTL_MARGIN_MS, DAY_MS, lines.join('\n')] };
  }

  #base(tag: string): string {
    let base = this.#bases.get(tag);
    if (base === undefined) {
      if (this.#bases.size >= MAX_BASES) this.#bases.clear();
      base = `${this.#prefix}{${escapeTag(tag)}}:`;
      this.#bases.set(tag, base);
    }
    return base;
  }
}

interface Call {
  readonly ops: readonly Op[];
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
}

/** A request id as a field of an operation's line: tabs, newlines and % escaped (the same id each time). */
function lineSafe(id: string): string {
  return /[\t\n\r%]/.test(id) ? id.replace(/[\t\n\r%]/g, (ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`) : id;
}

/** Hands each operation its reply (one line each); a reply that does not fit fails that operation alone. */
function answer(call: Call, reply: unknown, now: number): void {
  const lines = typeof reply === 'string' ? reply.split('\n') : undefined;
  const replies = lines !== undefined && lines.length === call.ops.length ? lines : undefined;
  call.ops.forEach((op, i) => {
    try {
      if (replies === undefined) throw malformed();
      op.answer(replies[i], now);
    } catch (err) {
      op.fail(err instanceof LimiterStoreError ? err : malformed());
    }
  });
}

function failAll(call: Call, what: string, err: unknown): void {
  const failure = new LimiterStoreError(what, failureKind(err), err);
  for (const op of call.ops) op.fail(failure);
}

function escapeTag(tag: string): string {
  if (tag === '') return '%';
  return tag.replace(/[%{}]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The checks as Redis counts them; the same array when they already are (the common case: no copy). */
function rounded(checks: readonly LimitCheck[]): readonly LimitCheck[] {
  for (const c of checks) if (integral(c) !== c) return checks.map(integral);
  return checks;
}

/** See the class comment: integers in Redis, a reservation rounded up, a limit down. */
function integral(c: LimitCheck): LimitCheck {
  const amount = Math.max(0, Math.ceil(c.amount));
  const limit = Math.floor(c.limit);
  const windowMs = Math.max(0, Math.round(c.windowMs));
  const resetAt = c.resetAt === undefined ? undefined : Math.round(c.resetAt);
  if (amount === c.amount && limit === c.limit && windowMs === c.windowMs && resetAt === c.resetAt) return c;
  return { ...c, amount, limit, windowMs, resetAt };
}

/** What the configuration fixes of a check: its kind code, the start of its admission spec, its key layout. */
interface CheckMemo { readonly code: string; readonly spec: string; readonly layout: '' | ':slots' | ':log' }

const MEMOS = new WeakMap<LimitCheck, CheckMemo>();

function memoOf(c: LimitCheck): CheckMemo {
  let memo = MEMOS.get(c);
  if (memo === undefined) {
    const code = kindCode(c);
    memo = { code, spec: `${code},${c.limit},${c.windowMs},${c.resetAt ?? 0},`, layout: c.kind !== 'window' ? '' : code === 'v' ? ':slots' : ':log' };
    // Only checks shared request after request (request-checks.ts freezes them) are worth remembering.
    if (Object.isFrozen(c)) MEMOS.set(c, memo);
  }
  return memo;
}

/** The script's kind code: a window above LOG_MAX_LIMIT is counted in slots ('v'), as the memory adapter does. */
function kindCode(c: LimitCheck): string {
  return slotMsOf(c) > 0 ? 'v' : KIND_CODE[c.kind];
}

/** One operation's reply: integers joined by commas (lua/limiter.lua). */
function integers(reply: unknown): number[] {
  if (typeof reply !== 'string') throw malformed();
  const parts = reply.split(',');
  const values = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const v = Number(parts[i]);
    if (!Number.isSafeInteger(v)) throw malformed();
    values[i] = v;
  }
  return values;
}

/** Pairs of (remaining, resetAt) per check from `from` on, as the script returns them. */
function states(checks: readonly LimitCheck[], values: readonly number[], from: number): CheckState[] {
  if (values.length - from !== checks.length * 2) throw malformed();
  return checks.map((c, i) => ({ key: c.key, limit: c.limit, remaining: values[from + 2 * i] as number, resetAt: values[from + 2 * i + 1] as number }));
}

function malformed(): LimiterStoreError {
  return new LimiterStoreError('answer', 'reply', new Error('unexpected script reply'));
}

function failureKind(err: unknown): FailureKind {
  if (!(err instanceof Error)) return 'other';
  if (err.name === 'ReplyError') return 'reply';
  if (/timed? ?out/i.test(err.message)) return 'timeout';
  if (/connect|closed|writeable|ECONN|EPIPE|ENOTFOUND|EHOSTUNREACH|max retries/i.test(err.message)) return 'connection';
  return 'other';
}
