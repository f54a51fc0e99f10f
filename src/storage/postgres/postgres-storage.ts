import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ChangeEmitter } from '../change-emitter.ts';
import type { Storage, StorageChange } from '../ports.ts';
import { ChangeListener } from './change-listener.ts';
import { decodeNotice, encodeNotice, type NoticeOrigin } from './change-notice.ts';
import { applyMigrations } from './migrations.ts';
import { createPostgresAuditStore } from './postgres-audit-store.ts';
import { createPostgresConfigStore } from './postgres-config-store.ts';
import { createPostgresKeyStore } from './postgres-key-store.ts';
import { PostgresPool } from './postgres-pool.ts';
import { createPostgresResponseStore } from './postgres-response-store.ts';
import { createPostgresUsageStore } from './postgres-usage-store.ts';

export interface PostgresStorageOptions {
  /**
   * postgres://user:password@host:port/database (DATABASE_URL). Parameters in it (?options=, ?statement_timeout=,
   * ?application_name=) take precedence over the settings below (pg's rule), so leave those out of the URL.
   */
  readonly connectionString: string;
  /**
   * Keep every table in this schema: each connection gets it as search_path, and migrate() creates it if missing.
   * A lowercase identifier. Default: the server's search_path (normally public).
   */
  readonly schema?: string;
  /** Connections in the pool, besides the one LISTEN connection. Default 10. */
  readonly poolSize?: number;
  /** Server-side limit on one statement (statement_timeout), so no query waits forever. Default 5000. */
  readonly statementTimeoutMs?: number;
  /** Limit on opening a connection or waiting for a free one, so nothing hangs while PostgreSQL is down. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** application_name of every connection, to find them in pg_stat_activity. Default "switchboard". */
  readonly applicationName?: string;
}

interface Settings {
  readonly connectionString: string;
  readonly schema: string | undefined;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly applicationName: string;
}

// Lowercase only: search_path folds unquoted names to lowercase, and the name is used unquoted (migrations.ts).
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function positiveWhole(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < 1) throw new TypeError(`postgres storage: ${name} must be a whole number ≥ 1`);
  return resolved;
}

function validate(options: PostgresStorageOptions): Settings {
  if (typeof options.connectionString !== 'string' || options.connectionString === '') {
    throw new TypeError('postgres storage: connectionString must be a non-empty string');
  }
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new TypeError(`postgres storage: schema must be a lowercase identifier (a-z, 0-9, _; at most 63), got ${JSON.stringify(options.schema)}`);
  }
  const applicationName = options.applicationName ?? 'switchboard';
  if (typeof applicationName !== 'string' || applicationName === '') throw new TypeError('postgres storage: applicationName must be a non-empty string');
  return {
    connectionString: options.connectionString,
    schema: options.schema,
    poolSize: positiveWhole(options.poolSize, 10, 'poolSize'),
    statementTimeoutMs: positiveWhole(options.statementTimeoutMs, 5000, 'statementTimeoutMs'),
    connectTimeoutMs: positiveWhole(options.connectTimeoutMs, 2000, 'connectTimeoutMs'),
    applicationName,
  };
}

// bigint columns hold epoch ms and token counts, far below 2^53: as numbers they decode like SQLite's INTEGER.
// Set on this store's clients only, not on pg's global parsers.
const TYPES = new pg.TypeOverrides();
TYPES.setTypeParser(pg.types.builtins.INT8, Number);

function clientConfig(settings: Settings): pg.ClientConfig {
  return {
    connectionString: settings.connectionString,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    // The client-side backstop for a server that stopped answering without closing the socket; the server's
    // statement_timeout normally fires first and says why.
    query_timeout: settings.statementTimeoutMs + settings.connectTimeoutMs,
    application_name: settings.applicationName,
    keepAlive: true,
    types: TYPES,
    // A startup parameter: set on every connection before its first query, with no extra round trip.
    ...(settings.schema === undefined ? {} : { options: `-c search_path=${settings.schema}` }),
  };
}

/**
 * The shared store (DESIGN §5): keys, usage, audit events, configuration versions and stored responses in PostgreSQL,
 * for any number of replicas.
 * Call migrate() before first use. subscribe() tells this instance's own writes at once and other instances'
 * (other replicas) through LISTEN/NOTIFY on one dedicated connection, opened on the first subscribe.
 */
export function createPostgresStorage(options: PostgresStorageOptions): Storage {
  const settings = validate(options);
  const config = clientConfig(settings);
  // allowExitOnIdle: idle pooled connections do not keep a finished CLI command alive.
  const pool = new PostgresPool({ ...config, max: settings.poolSize, allowExitOnIdle: true });
  const changes = new ChangeEmitter();
  const origin: NoticeOrigin = { schema: settings.schema ?? '', source: randomUUID() };
  const notice = (change: StorageChange): string => encodeNotice(origin, change);
  const listener = new ChangeListener({
    connect: () => new pg.Client(config),
    decode: (payload) => decodeNotice(payload, origin),
    emit: (change) => changes.emit(change),
  });
  return {
    keys: createPostgresKeyStore(pool, notice, (id) => changes.emit({ kind: 'key', id })),
    usage: createPostgresUsageStore(pool),
    audit: createPostgresAuditStore(pool),
    responses: createPostgresResponseStore(pool),
    config: createPostgresConfigStore(pool, notice, (version) => changes.emit({ kind: 'config', version })),
    subscribe(onChange) {
      listener.start();
      return changes.subscribe(onChange);
    },
    async migrate() {
      await applyMigrations(pool, settings.schema);
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await Promise.all([listener.close(), pool.end()]);
    },
  };
}
