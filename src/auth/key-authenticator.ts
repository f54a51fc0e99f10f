import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKeyRecord, KeyStore, KeyUse } from '../storage/ports.ts';
import { hashApiKey, hashesEqual, keyPrefix } from './api-key.ts';
import { setBounded } from './bounded-map.ts';
import type { Principal } from '../domain/principal.ts';
import { ROLE_SCOPES } from '../domain/api-key-record.ts';

export interface KeyAuthenticatorOptions {
  readonly store: KeyStore;
  /** The fixed admin key from configuration, if any. */
  readonly adminKey?: string | undefined;
  /** How long a looked-up key is trusted before the store is asked again (revocations by another process). */
  readonly cacheTtlMs?: number;
  /**
   * At most this many entries in each of the two caches (verified keys; store look-ups by prefix). When one is full
   * its oldest insertion goes. Default 10 000: a few MB at most, and far more keys than one gateway sees per TTL.
   */
  readonly maxCacheEntries?: number;
  /** How often last-used times gathered in memory are written to the store; close() writes the rest. Default 60 000. */
  readonly touchIntervalMs?: number;
  /** Bearer JWTs (auth.jwt), when configured: a presented JWT is checked by it instead of the key store. */
  readonly jwt?: { verify(token: string): Promise<Principal> } | undefined;
}

interface LookupEntry { readonly record: ApiKeyRecord | undefined; readonly principal: Principal | undefined; readonly until: number }
interface VerifiedEntry { readonly principal: Principal; readonly prefix: string; readonly until: number }

/** A verification: the principal and when the key stops being valid by itself (its expiry), epoch ms. */
interface Verified { readonly principal: Principal; readonly expiresAtMs: number }

/**
 * Under a second, so a key revoked on another replica is refused everywhere within 1 s even when the store's
 * notification is lost; with notifications (forgetId) it is refused at once. Costs one indexed read per key per TTL.
 */
const DEFAULT_TTL_MS = 750;
const DEFAULT_MAX_CACHE_ENTRIES = 10_000;
const DEFAULT_TOUCH_INTERVAL_MS = 60_000;

/**
 * Turns a presented key into a Principal, or throws SB_AUTH_*. Store look-ups are cached briefly, and the time of
 * each successful authentication is noted in memory and written to the store in batches (lastUsedAt).
 */
export class KeyAuthenticator {
  readonly #store: KeyStore;
  readonly #jwt: KeyAuthenticatorOptions['jwt'];
  readonly #adminHash: string | undefined;
  readonly #ttl: number;
  readonly #maxEntries: number;
  /** Store look-ups by public prefix, unknown prefixes included, so a spray of made-up keys costs one query each per TTL. */
  readonly #lookups = new Map<string, LookupEntry>();
  /**
   * Keys verified recently, by the SHA-256 of the key as presented (the hash the store keeps), never the key itself:
   * a heap dump or a debugger must not reveal live keys. A repeat caller pays one hash (~0.8 µs, see hashApiKey)
   * and skips the store look-up and the comparison. Entries expire with the same TTL as look-ups; forget() drops them.
   */
  readonly #verified = new Map<string, VerifiedEntry>();
  /** Key id → epoch ms of its latest successful authentication not yet written to the store. One entry per key. */
  #used = new Map<string, number>();
  #flushing: Promise<void> | undefined;
  readonly #flushTimer: ReturnType<typeof setInterval>;

  constructor(options: KeyAuthenticatorOptions) {
    this.#store = options.store;
    this.#jwt = options.jwt;
    this.#adminHash = options.adminKey === undefined ? undefined : hashApiKey(options.adminKey);
    this.#ttl = options.cacheTtlMs ?? DEFAULT_TTL_MS;
    this.#maxEntries = positiveInteger(options.maxCacheEntries ?? DEFAULT_MAX_CACHE_ENTRIES, 'maxCacheEntries');
    const touchIntervalMs = positiveInteger(options.touchIntervalMs ?? DEFAULT_TOUCH_INTERVAL_MS, 'touchIntervalMs');
    this.#flushTimer = setInterval(() => void this.flush(), touchIntervalMs);
    // The timer never keeps the process alive: close() writes what is left.
    this.#flushTimer.unref();
  }

  /** The principal of a key verified within the TTL, without any await; undefined when it must be checked. */
  cached(presented: string | undefined): Principal | undefined {
    if (presented === undefined || presented === '' || (this.#jwt !== undefined && isJwt(presented))) return undefined;
    return this.#hit(hashApiKey(presented));
  }

  async authenticate(presented: string | undefined): Promise<Principal> {
    if (presented === undefined || presented === '') throw new GatewayError('SB_AUTH_MISSING_KEY');
    const jwt = this.#jwt;
    if (jwt !== undefined && isJwt(presented)) return jwt.verify(presented);
    // One hash per call: the cache key is also what #verify compares with the stored hash.
    const hash = hashApiKey(presented);
    const hit = this.#hit(hash);
    if (hit !== undefined) return hit;
    const { principal, expiresAtMs } = await this.#verify(presented, hash);
    const now = Date.now();
    // A key never outlives its expiry in the cache: a rotated key's overlap ends on time, not up to a TTL later.
    setBounded(this.#verified, this.#maxEntries, hash, { principal, prefix: keyPrefix(presented) ?? '', until: Math.min(now + this.#ttl, expiresAtMs) });
    this.#noteUse(principal, now);
    return principal;
  }

  /**
   * Drops a key by id, when the store reports it revoked (through this or another process; Storage.subscribe).
   * A scan of both caches, like forget(): revocations are rare.
   */
  forgetId(id: string): void {
    for (const [prefix, entry] of this.#lookups) if (entry.record?.id === id) this.#lookups.delete(prefix);
    for (const [hash, entry] of this.#verified) if (entry.principal.keyId === id) this.#verified.delete(hash);
  }

  /** Drops a cached key at once, e.g. after it was revoked through this process. */
  forget(prefix: string): void {
    this.#lookups.delete(prefix);
    // A scan, but only on revocation, which is rare; an index by prefix would cost every cache insert.
    for (const [hash, entry] of this.#verified) if (entry.prefix === prefix) this.#verified.delete(hash);
  }

  /**
   * Writes the pending last-used times now (the timer calls this; so does close()). Never rejects: a failed write
   * keeps the times for the next attempt. Joins a write already under way rather than starting a second one.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#writeUses().finally(() => { this.#flushing = undefined; });
    return this.#flushing;
  }

  /** Stops the flush timer and writes the last pending times. Call once, before the store closes. */
  async close(): Promise<void> {
    clearInterval(this.#flushTimer);
    await this.#flushing;
    await this.flush();
  }

  /**
   * Diagnostic (tests, debugging): the keys of the two caches. Safe to show: SHA-256 digests and public prefixes,
   * never a presented key.
   */
  cacheKeys(): { readonly verified: string[]; readonly lookups: string[] } {
    return { verified: [...this.#verified.keys()], lookups: [...this.#lookups.keys()] };
  }

  #hit(hash: string): Principal | undefined {
    const entry = this.#verified.get(hash);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (entry.until <= now) return undefined;
    this.#noteUse(entry.principal, now);
    return entry.principal;
  }

  /** On the request path, so just one Map.set; the ISO text is made at flush time. */
  #noteUse(principal: Principal, now: number): void {
    // The admin key from configuration has no store record to touch.
    if (principal !== ENV_ADMIN) this.#used.set(principal.keyId, now);
  }

  async #writeUses(): Promise<void> {
    if (this.#used.size === 0) return;
    const batch = this.#used;
    this.#used = new Map();
    try {
      await this.#store.touch(toKeyUses(batch));
    } catch {
      // Nobody to tell here: a store that fails this fails requests too, and those are logged. Keep the times for
      // the next flush, unless the same key was used again meanwhile.
      for (const [id, ms] of batch) keepLatest(this.#used, id, ms);
    }
  }

  async #verify(presented: string, hash: string): Promise<Verified> {
    if (this.#adminHash !== undefined && hashesEqual(hash, this.#adminHash)) return { principal: ENV_ADMIN, expiresAtMs: Number.POSITIVE_INFINITY };
    const prefix = keyPrefix(presented);
    if (prefix === undefined) throw new GatewayError('SB_AUTH_INVALID_KEY');
    const entry = await this.#lookup(prefix);
    if (entry.record === undefined || entry.principal === undefined || !hashesEqual(hash, entry.record.hash)) {
      throw new GatewayError('SB_AUTH_INVALID_KEY');
    }
    if (entry.record.revokedAt !== null) throw new GatewayError('SB_AUTH_REVOKED_KEY');
    const expiresAtMs = entry.record.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(entry.record.expiresAt);
    if (expiresAtMs <= Date.now()) throw new GatewayError('SB_AUTH_EXPIRED_KEY');
    return { principal: entry.principal, expiresAtMs };
  }

  async #lookup(prefix: string): Promise<LookupEntry> {
    const now = Date.now();
    const cached = this.#lookups.get(prefix);
    if (cached !== undefined && cached.until > now) return cached;
    let record: ApiKeyRecord | undefined;
    try {
      record = await this.#store.findByPrefix(prefix);
    } catch (err) {
      // The store is down: a key this process verified before keeps working on what was known of it (a revocation
      // made meanwhile is seen when the store is back); a key never seen cannot be checked and fails.
      if (cached !== undefined) return cached;
      throw new GatewayError('SB_AUTH_STORE_UNAVAILABLE', { cause: err });
    }
    const entry: LookupEntry = { record, principal: record && toPrincipal(record), until: now + this.#ttl };
    setBounded(this.#lookups, this.#maxEntries, prefix, entry);
    return entry;
  }
}

const ENV_ADMIN: Principal = Object.freeze({
  keyId: 'env-admin', kind: 'key', role: 'admin', scopes: new Set(ROLE_SCOPES.admin), workspaceId: null, models: null, tier: null, userId: null,
});

function toPrincipal(record: ApiKeyRecord): Principal {
  return Object.freeze({
    keyId: record.id, kind: 'key', role: record.role, scopes: new Set(record.scopes ?? ROLE_SCOPES[record.role]), workspaceId: record.workspaceId,
    models: record.models === null ? null : new Set(record.models), tier: null, userId: null, budgetLimits: record.budgetLimits,
  });
}

/** A JWT's header is base64url JSON, so it starts "eyJ"; keys start "sb_". */
function isJwt(presented: string): boolean {
  return presented.startsWith('eyJ');
}

function toKeyUses(used: ReadonlyMap<string, number>): KeyUse[] {
  return Array.from(used, ([id, ms]) => ({ id, at: new Date(ms).toISOString() }));
}

function keepLatest(used: Map<string, number>, id: string, ms: number): void {
  const noted = used.get(id);
  if (noted === undefined || noted < ms) used.set(id, ms);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`KeyAuthenticator: ${name} must be a whole number ≥ 1, got ${value}`);
  return value;
}
