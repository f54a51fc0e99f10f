import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKeyRecord, KeyStore } from '../storage/ports.ts';
import { hashApiKey, hashesEqual, keyPrefix } from './api-key.ts';
import type { Principal } from './principal.ts';

export interface KeyAuthenticatorOptions {
  readonly store: KeyStore;
  /** The fixed admin key from configuration, if any. */
  readonly adminKey?: string | undefined;
  /** How long a looked-up key is trusted before the store is asked again (revocations by another process). */
  readonly cacheTtlMs?: number;
}

interface CacheEntry { readonly record: ApiKeyRecord | undefined; readonly principal: Principal | undefined; readonly until: number }

/** Turns a presented key into a Principal, or throws SB_AUTH_*. Store look-ups are cached briefly. */
export class KeyAuthenticator {
  readonly #store: KeyStore;
  readonly #adminHash: string | undefined;
  readonly #ttl: number;
  readonly #cache = new Map<string, CacheEntry>();
  /**
   * Keys verified recently, by the key as presented: a repeat caller skips the SHA-256 and the store look-up
   * (bench: chat c=64 CPU/req). Entries expire with the same TTL as store look-ups and forget() drops them.
   */
  readonly #verified = new Map<string, { readonly principal: Principal; readonly prefix: string; readonly until: number }>();

  constructor(options: KeyAuthenticatorOptions) {
    this.#store = options.store;
    this.#adminHash = options.adminKey === undefined ? undefined : hashApiKey(options.adminKey);
    this.#ttl = options.cacheTtlMs ?? 2000;
  }

  /** The principal of a key verified within the TTL, without any await; undefined when it must be checked. */
  cached(presented: string | undefined): Principal | undefined {
    const verified = presented === undefined ? undefined : this.#verified.get(presented);
    return verified !== undefined && verified.until > Date.now() ? verified.principal : undefined;
  }

  async authenticate(presented: string | undefined): Promise<Principal> {
    if (presented === undefined || presented === '') throw new GatewayError('SB_AUTH_MISSING_KEY');
    const cached = this.cached(presented);
    if (cached !== undefined) return cached;
    const principal = await this.#verify(presented);
    if (this.#verified.size >= 10_000) this.#verified.clear();
    this.#verified.set(presented, { principal, prefix: keyPrefix(presented) ?? '', until: Date.now() + this.#ttl });
    return principal;
  }

  async #verify(presented: string): Promise<Principal> {
    const hash = hashApiKey(presented);
    if (this.#adminHash !== undefined && hashesEqual(hash, this.#adminHash)) return ENV_ADMIN;
    const prefix = keyPrefix(presented);
    if (prefix === undefined) throw new GatewayError('SB_AUTH_INVALID_KEY');
    const entry = await this.#lookup(prefix);
    if (entry.record === undefined || entry.principal === undefined || !hashesEqual(hash, entry.record.hash)) {
      throw new GatewayError('SB_AUTH_INVALID_KEY');
    }
    if (entry.record.revokedAt !== null) throw new GatewayError('SB_AUTH_REVOKED_KEY');
    return entry.principal;
  }

  /** Drops a cached key at once, e.g. after it was revoked through this process. */
  forget(prefix: string): void {
    this.#cache.delete(prefix);
    for (const [key, entry] of this.#verified) if (entry.prefix === prefix) this.#verified.delete(key);
  }

  async #lookup(prefix: string): Promise<CacheEntry> {
    const now = Date.now();
    const cached = this.#cache.get(prefix);
    if (cached !== undefined && cached.until > now) return cached;
    const record = await this.#store.findByPrefix(prefix);
    const entry: CacheEntry = { record, principal: record && toPrincipal(record), until: now + this.#ttl };
    if (this.#cache.size > 50_000) this.#cache.clear();
    this.#cache.set(prefix, entry);
    return entry;
  }
}

const ENV_ADMIN: Principal = Object.freeze({ keyId: 'env-admin', role: 'admin', models: null });

function toPrincipal(record: ApiKeyRecord): Principal {
  return Object.freeze({ keyId: record.id, role: record.role, models: record.models === null ? null : new Set(record.models) });
}
