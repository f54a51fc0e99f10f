/**
 * Storage ports: the only storage interfaces features may depend on. Each port has one contract suite in
 * test/contract/ that every adapter (memory, SQLite, later PostgreSQL/Redis) runs.
 */
import type { UsageRecord } from '../usage/usage-record.ts';

export type KeyRole = 'admin' | 'inference';

export interface ApiKeyRecord {
  /** Stable id (UUID). */
  readonly id: string;
  /** Public, non-secret part of the key that identifies it (e.g. "sb_a1b2c3d4"); unique. */
  readonly prefix: string;
  /** Hex SHA-256 of the whole key. The key itself is never stored. */
  readonly hash: string;
  readonly name: string;
  readonly role: KeyRole;
  /** Models this key may use; null means every configured model. */
  readonly models: readonly string[] | null;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601, or null while the key is active. */
  readonly revokedAt: string | null;
}

export interface KeyStore {
  /** Fails if the id or prefix already exists. */
  insert(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  findByPrefix(prefix: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false if no such key. Revoking twice keeps the first time. */
  revoke(id: string, at: string): Promise<boolean>;
  count(): Promise<number>;
}

export interface UsageQuery {
  readonly requestId?: string;
  readonly keyId?: string;
  /** ISO-8601 lower bound on startedAt, inclusive. */
  readonly since?: string;
  /** At most this many records, newest first; default 100. */
  readonly limit?: number;
}

export interface UsageStore {
  /** Writes all records or none. */
  insertMany(records: readonly UsageRecord[]): Promise<void>;
  list(query: UsageQuery): Promise<UsageRecord[]>;
}

export interface Storage {
  readonly keys: KeyStore;
  readonly usage: UsageStore;
  /** Applies schema migrations; idempotent. */
  migrate(): Promise<void>;
  /** Cheap liveness probe for /health/detailed. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
