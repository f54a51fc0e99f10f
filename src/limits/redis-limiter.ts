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

const ADMIT_LUA = readFileSync(new URL('./lua/admit.lua', import.meta.url), 'utf8');
const SETTLE_LUA = readFileSync(new URL('./lua/settle.lua', import.meta.url), 'utf8');
// Names on the caller's client: defineCommand sends EVALSHA and, on NOSCRIPT (a restarted or flushed Redis),
// EVAL once with the script's text, so a script cache lost on the server is covered without our help.
const ADMIT_COMMAND = 'switchboardLimiterAdmit';
const SETTLE_COMMAND = 'switchboardLimiterSettle';

type ScriptArg = string | number;
interface ScriptCommands {
  [ADMIT_COMMAND](numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
  [SETTLE_COMMAND](numKeys: number, ...args: ScriptArg[]): Promise<unknown>;
}

const KIND_CODE: Readonly<Record<LimitKind, string>> = { window: 'w', concurrency: 'c', counter: 'b', bucket: 't' };

/**
 * The limiter shared by every replica: each decision is one Lua script (admit.lua) that tests every check of a
 * request and takes all of them or none, so replicas never race each other between check and take. Semantics are
 * the memory adapter's (src/limits/memory-limiter.ts); both pass test/contract/limiter.contract.ts.
 *
 * Keys: `${keyPrefix}{${tag}}:${check.key}` (window: plus `:log`, `:amt`, `:sum`), so every key of a request
 * shares one Redis Cluster hash tag and one script may touch them all. Braces and `%` in the tag are
 * percent-escaped (injective, and the tag's braces stay the only ones); an empty tag becomes `%`, which no
 * escaped tag can be, because `{}` would make Redis hash each whole key on its own.
 *
 * Amounts and limits are stored as integers (requests, tokens and micro-dollars are): an amount is rounded up
 * (a reservation never takes less than asked), a limit down, an actual to the nearest. That keeps INCRBY exact
 * and the script's replies plain integers.
 *
 * Every call is one command bounded by the client's commandTimeout. admit() and peek() reject with
 * LimiterStoreError when Redis fails; settle() never rejects, and logs one warning per kind of failure until a
 * settle succeeds again (an outage is not a warning per request).
 */
export class RedisLimiter implements Limiter {
  readonly #redis: Redis;
  readonly #scripts: ScriptCommands;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #logger: { warn(obj: object, msg: string): void } | undefined;
  readonly #warned = new Set<FailureKind>();

  constructor(options: RedisLimiterOptions) {
    if (typeof options.keyPrefix !== 'string') throw new TypeError('redis limiter: keyPrefix must be a string');
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    // numberOfKeys left out: a request has as many keys as checks (window: three), passed first on each call.
    this.#redis.defineCommand(ADMIT_COMMAND, { lua: ADMIT_LUA });
    this.#redis.defineCommand(SETTLE_COMMAND, { lua: SETTLE_LUA });
    // defineCommand adds the methods to this client at run time; the interface above is their shape.
    this.#scripts = this.#redis as unknown as ScriptCommands;
    // Loaded whenever the connection is (re)established, so that a burst of first requests — at start, or after
    // Redis restarted empty — runs EVALSHA at once instead of each getting NOSCRIPT and compiling the script again.
    const load = (): void => { void this.#load(); };
    this.#redis.on('ready', load);
    if (this.#redis.status === 'ready') load();
  }

  async #load(): Promise<void> {
    try {
      await Promise.all([this.#redis.script('LOAD', ADMIT_LUA), this.#redis.script('LOAD', SETTLE_LUA)]);
    } catch {
      // Nothing lost: defineCommand's EVAL fallback still loads the scripts on first use.
    }
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    const now = this.#now();
    const checks = request.checks.map(integral);
    if (checks.length === 0) return { ok: true, states: [], ticket: { tag: request.tag, id: request.id, checks: request.checks, at: now } };
    const reply = await this.#run('admit', ADMIT_COMMAND, this.#keys(request.tag, checks), ['admit', now, request.id, TTL_MARGIN_MS, DAY_MS, ...checkArgs(checks)]);
    const [status, ...rest] = integers(reply);
    if (status === 1) {
      return { ok: true, states: states(request.checks, rest), ticket: { tag: request.tag, id: request.id, checks: request.checks, at: now } };
    }
    const [index, retryAfterMs, ...figures] = rest;
    const refusedBy = status === 0 && index !== undefined ? request.checks[index - 1] : undefined;
    if (refusedBy === undefined || retryAfterMs === undefined) throw malformed();
    return { ok: false, refusedBy, retryAfterMs, states: states(request.checks, figures) };
  }

  async settle(ticket: Ticket, actual: Actuals): Promise<void> {
    const checks = ticket.checks.map(integral);
    if (checks.length === 0) return;
    const specs: string[] = [];
    for (const c of checks) {
      // c.amount is rounded as admit rounded it, so the delta matches what was taken.
      const real = actual[c.key];
      // A slotted window is corrected in the slot the admission went to: its index rides in resetAt's place.
      const slotMs = slotMsOf(c);
      const where = slotMs > 0 ? Math.floor(ticket.at / slotMs) : c.resetAt ?? 0;
      specs.push(`${kindCode(c)},${c.amount},${where},${real === undefined || c.kind === 'concurrency' ? '' : Math.max(0, Math.round(real))}`);
    }
    const args: ScriptArg[] = [ticket.id, specs.join(';')];
    try {
      await this.#run('settle', SETTLE_COMMAND, this.#keys(ticket.tag, checks), args);
      this.#warned.clear();
    } catch (err) {
      const kind = err instanceof LimiterStoreError ? err.kind : 'other';
      if (this.#warned.has(kind)) return;
      this.#warned.add(kind);
      this.#logger?.warn({ err, kind }, 'limiter: settling in Redis failed; holds end with their bound, corrections are lost');
    }
  }

  async peek(tag: string, checks: readonly LimitCheck[]): Promise<readonly CheckState[]> {
    const rounded = checks.map(integral);
    if (rounded.length === 0) return [];
    const reply = await this.#run('peek', ADMIT_COMMAND, this.#keys(tag, rounded), ['peek', this.#now(), '', TTL_MARGIN_MS, DAY_MS, ...checkArgs(rounded)]);
    const [status, ...figures] = integers(reply);
    if (status !== 2) throw malformed();
    return states(checks, figures);
  }

  /** The client is the caller's: it closes it. */
  async close(): Promise<void> {}

  #keys(tag: string, checks: readonly LimitCheck[]): string[] {
    const base = `${this.#prefix}{${escapeTag(tag)}}:`;
    const keys: string[] = [];
    for (const c of checks) {
      const key = base + c.key;
      if (c.kind === 'window') keys.push(`${key}:log`, `${key}:amt`, `${key}:sum`);
      else keys.push(key);
    }
    return keys;
  }

  async #run(what: string, command: keyof ScriptCommands, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    try {
      return await this.#scripts[command](keys.length, ...keys, ...args);
    } catch (err) {
      throw new LimiterStoreError(what, failureKind(err), err);
    }
  }
}

function escapeTag(tag: string): string {
  if (tag === '') return '%';
  return tag.replace(/[%{}]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
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

/** The script's kind code: a window above LOG_MAX_LIMIT is counted in slots ('v'), as the memory adapter does. */
function kindCode(c: LimitCheck): string {
  return slotMsOf(c) > 0 ? 'v' : KIND_CODE[c.kind];
}

/** The checks packed into one argument (admit.lua unpacks it): one string instead of five arguments per check. */
function checkArgs(checks: readonly LimitCheck[]): ScriptArg[] {
  return [checks.map((c) => `${kindCode(c)},${c.limit},${c.windowMs},${c.resetAt ?? 0},${c.amount}`).join(';')];
}

function integers(reply: unknown): number[] {
  if (!Array.isArray(reply) || !reply.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) throw malformed();
  return reply;
}

/** Pairs of (remaining, resetAt) per check, as the script returns them. */
function states(checks: readonly LimitCheck[], figures: readonly number[]): CheckState[] {
  if (figures.length !== checks.length * 2) throw malformed();
  return checks.map((c, i) => ({ key: c.key, limit: c.limit, remaining: figures[2 * i] as number, resetAt: figures[2 * i + 1] as number }));
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
