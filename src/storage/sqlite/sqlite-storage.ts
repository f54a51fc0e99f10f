import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ChangeEmitter } from '../change-emitter.ts';
import type { Storage } from '../ports.ts';
import { applyMigrations } from './migrations.ts';
import { createSqliteAuditStore } from './sqlite-audit-store.ts';
import { createSqliteConfigStore } from './sqlite-config-store.ts';
import { createSqliteKeyStore } from './sqlite-key-store.ts';
import { createSqliteResponseStore } from './sqlite-response-store.ts';
import { createSqliteUsageStore } from './sqlite-usage-store.ts';
import { createStatementCache } from './statement-cache.ts';

export interface SqliteStorageOptions {
  /** Database file; a missing parent directory is created. ":memory:" keeps everything in this process. */
  readonly path: string;
  /**
   * How long a write waits for another process (e.g. `switchboard keys create`) to release the write lock.
   * node:sqlite is synchronous, so the event loop is blocked while it waits: keep it short. Default 2000.
   */
  readonly busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 2000;

function validate(options: SqliteStorageOptions): number {
  if (typeof options.path !== 'string' || options.path === '') throw new TypeError('sqlite storage: path must be a non-empty string');
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new TypeError('sqlite storage: busyTimeoutMs must be a whole number ≥ 0');
  return busyTimeoutMs;
}

function openDatabase(path: string, busyTimeoutMs: number): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  // WAL lets readers (auth lookups, admin queries) run while the usage writer commits; synchronous=NORMAL is
  // the usual WAL pairing: it can lose the last commits on power loss but never corrupts the file.
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${busyTimeoutMs};`);
  return db;
}

/**
 * The embedded store (DESIGN §5): keys, usage, audit events, configuration versions and stored responses in one
 * SQLite file. Call migrate() before first use.
 * node:sqlite is synchronous; that is acceptable because the usage pipeline batches records off the response path
 * and every statement here is a short indexed read or write.
 *
 * Usage records, audit events and stored responses have a connection of their own with no busy timeout:
 * node:sqlite waits for a lock synchronously, so while another process holds the file's write lock, a wait there
 * would stop every request of this process, again at every batch. Their writes fail at once instead ("database is
 * locked"): the pipeline keeps the records in its journal and tries again at the next interval, and a response's
 * put rejects for its caller to answer. In WAL mode their reads never wait for a writer. The keys' periodic
 * lastUsedAt writes use it too. Keys and configuration otherwise keep the configured wait: their writes are rare
 * admin actions.
 */
export function createSqliteStorage(options: SqliteStorageOptions): Storage {
  const db = openDatabase(options.path, validate(options));
  const statements = createStatementCache(db);
  // ":memory:" is a new database per connection: there, one connection serves all.
  const bulk = options.path === ':memory:' ? db : openDatabase(options.path, validate(options));
  // Set once open: opening (WAL mode) may wait like the main connection does.
  if (bulk !== db) bulk.exec('PRAGMA busy_timeout = 0');
  const bulkStatements = bulk === db ? statements : createStatementCache(bulk);
  // Only this process's own writes: another process sharing the file is found by polling (ports.ts, subscribe).
  const changes = new ChangeEmitter();
  let closed = false;
  return {
    keys: createSqliteKeyStore(db, statements, (id) => changes.emit({ kind: 'key', id }), { db: bulk, statements: bulkStatements }),
    usage: createSqliteUsageStore(bulk, bulkStatements),
    audit: createSqliteAuditStore(bulk, bulkStatements),
    responses: createSqliteResponseStore(bulk, bulkStatements),
    config: createSqliteConfigStore(db, statements, (version) => changes.emit({ kind: 'config', version })),
    subscribe: (listener) => changes.subscribe(listener),
    async migrate() {
      applyMigrations(db);
    },
    async ping() {
      statements.get('SELECT 1').get();
    },
    async close() {
      if (closed) return;
      closed = true;
      if (bulk !== db) bulk.close();
      db.close();
    },
  };
}
