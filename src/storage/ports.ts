/**
 * Storage ports: the only storage interfaces features may depend on. Each port has one contract suite in
 * test/contract/ that every adapter (memory, SQLite, later PostgreSQL/Redis) runs.
 */
import type { ApiKeyRecord } from '../domain/api-key-record.ts';
import type { UsageRecord } from '../domain/usage-record.ts';

export type { ApiKeyRecord, KeyRole } from '../domain/api-key-record.ts';

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
  /**
   * Records when keys were last used, in one batch. Only moves lastUsedAt forward (by time, not ISO text): an
   * older or equal time leaves the key as it is, so late or repeated batches are harmless. Unknown ids are
   * ignored. Fails, writing nothing, if any `at` is not an ISO-8601 time.
   */
  touch(entries: ReadonlyArray<KeyUse>): Promise<void>;
}

/** One use of a key, for KeyStore.touch. */
export interface KeyUse {
  readonly id: string;
  /** ISO-8601. */
  readonly at: string;
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
