import type { DatabaseSync } from 'node:sqlite';
import { runInTransaction } from './run-in-transaction.ts';

/**
 * The schema, one step per entry; version N is entry N-1. Append only: never edit or reorder a released entry,
 * because databases in the field record which versions they already ran.
 *
 * Times are kept twice: the ISO text as given (so records read back exactly as written) and epoch milliseconds
 * (*_ms), which ordering and the `since` filter use because ISO text does not sort correctly across forms.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
     id            TEXT PRIMARY KEY,
     prefix        TEXT NOT NULL UNIQUE,
     hash          TEXT NOT NULL,
     name          TEXT NOT NULL,
     role          TEXT NOT NULL,
     models        TEXT,
     created_at    TEXT NOT NULL,
     created_at_ms INTEGER NOT NULL,
     revoked_at    TEXT
   );
   CREATE INDEX api_keys_created_at ON api_keys (created_at_ms);`,
  `CREATE TABLE usage_records (
     id                  TEXT PRIMARY KEY,
     request_id          TEXT NOT NULL,
     kind                TEXT NOT NULL,
     attempt             INTEGER NOT NULL,
     started_at          TEXT NOT NULL,
     started_at_ms       INTEGER NOT NULL,
     key_id              TEXT,
     endpoint            TEXT NOT NULL,
     stream              INTEGER NOT NULL,
     provider            TEXT,
     model_requested     TEXT NOT NULL,
     model_served        TEXT,
     status              INTEGER NOT NULL,
     outcome             TEXT NOT NULL,
     error_code          TEXT,
     input_tokens        INTEGER NOT NULL,
     output_tokens       INTEGER NOT NULL,
     cached_input_tokens INTEGER NOT NULL,
     cache_write_tokens  INTEGER NOT NULL,
     cost_usd            REAL NOT NULL,
     latency_ms          REAL NOT NULL,
     ttft_ms             REAL
   );
   CREATE INDEX usage_records_request_id ON usage_records (request_id);
   CREATE INDEX usage_records_key_id ON usage_records (key_id, started_at_ms);
   CREATE INDEX usage_records_started_at ON usage_records (started_at_ms);`,
  // Version 3: when a key last authenticated (KeyStore.touch); NULL on existing rows means never used.
  `ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
   ALTER TABLE api_keys ADD COLUMN last_used_at_ms INTEGER;`,
  // Version 4: the numbered history of the shared configuration (ConfigStore); content and diff are JSON text.
  `CREATE TABLE config_versions (
     version    INTEGER PRIMARY KEY,
     author     TEXT NOT NULL,
     created_at TEXT NOT NULL,
     summary    TEXT NOT NULL,
     content    TEXT NOT NULL,
     diff       TEXT NOT NULL
   );`,
  // Version 5: what the routing decision said (workspace, agent type, user, rule, experiment and variant);
  // experiments aggregate their variants by experiment id.
  `ALTER TABLE usage_records ADD COLUMN workspace_id TEXT;
   ALTER TABLE usage_records ADD COLUMN agent_type TEXT;
   ALTER TABLE usage_records ADD COLUMN user_id TEXT;
   ALTER TABLE usage_records ADD COLUMN rule_id TEXT;
   ALTER TABLE usage_records ADD COLUMN experiment_id TEXT;
   ALTER TABLE usage_records ADD COLUMN variant TEXT;
   CREATE INDEX usage_records_experiment ON usage_records (experiment_id, kind) WHERE experiment_id IS NOT NULL;`,
  // Version 6: feedback scores of experiment requests, one per (experiment, request), joined to the request
  // records by request id when UsageStore.variantStats aggregates a variant.
  `CREATE TABLE experiment_feedback (
     experiment_id TEXT NOT NULL,
     request_id    TEXT NOT NULL,
     score         REAL NOT NULL,
     comment       TEXT,
     at            TEXT NOT NULL,
     at_ms         INTEGER NOT NULL,
     PRIMARY KEY (experiment_id, request_id)
   ) WITHOUT ROWID;`,
  // Version 7: tenancy. A key belongs to a workspace (admin keys made before: to none, they see every one;
  // the others: to "default"), has scopes (NULL: its role's) and may expire; "inference" keys become members.
  `ALTER TABLE api_keys ADD COLUMN workspace_id TEXT;
   ALTER TABLE api_keys ADD COLUMN scopes TEXT;
   ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
   ALTER TABLE api_keys ADD COLUMN expires_at_ms INTEGER;
   UPDATE api_keys SET workspace_id = 'default' WHERE role <> 'admin';
   UPDATE api_keys SET role = 'member' WHERE role = 'inference';
   CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at_ms);`,
  // Version 8: a key's own budget (JSON: daily, weekly, monthly, total, enforcement); NULL: none.
  `ALTER TABLE api_keys ADD COLUMN budget_limits TEXT;`,
  // Reasoning tokens (part of output_tokens), retries and the targets tried in order (a JSON array of labels).
  `ALTER TABLE usage_records ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE usage_records ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE usage_records ADD COLUMN fallback_chain TEXT NOT NULL DEFAULT '[]';`,
  // Audit events (AuditStore): written once, read by request id, by workspace, actor, action or target over time
  // (rowid, the last column of every index, breaks time ties); before and after are JSON text.
  `CREATE TABLE audit_events (
     id                 TEXT PRIMARY KEY,
     at                 TEXT NOT NULL,
     at_ms              INTEGER NOT NULL,
     action             TEXT NOT NULL,
     outcome            TEXT NOT NULL,
     code               TEXT,
     actor_key_id       TEXT,
     actor_workspace_id TEXT,
     actor_user_id      TEXT,
     ip                 TEXT,
     request_id         TEXT,
     workspace_id       TEXT,
     target_type        TEXT NOT NULL,
     target_id          TEXT,
     before_json        TEXT,
     after_json         TEXT
   );
   CREATE INDEX audit_events_request_id ON audit_events (request_id);
   CREATE INDEX audit_events_workspace ON audit_events (workspace_id, at_ms);
   CREATE INDEX audit_events_actor ON audit_events (actor_key_id, at_ms);
   CREATE INDEX audit_events_action ON audit_events (action, at_ms);
   CREATE INDEX audit_events_target ON audit_events (target_type, target_id, at_ms);
   CREATE INDEX audit_events_at ON audit_events (at_ms);`,
  // Usage analytics and export: a workspace's records over time (rowid, implicit in the index, breaks time ties).
  `CREATE INDEX usage_records_workspace_time ON usage_records (workspace_id, started_at_ms);`,
  // A request answered by its first attempt keeps that attempt in its own row (folded-usage.ts); NULL: not folded.
  `ALTER TABLE usage_records ADD COLUMN attempt_id TEXT;
   ALTER TABLE usage_records ADD COLUMN attempt_latency_ms REAL;
   ALTER TABLE usage_records ADD COLUMN attempt_ttft_ms REAL;`,
  // Version 13: stored Responses API responses (ResponseStore), read by id only (the primary key, also for the
  // previous_response_id walk); input and response are JSON text. Retention deletes by expiry.
  `CREATE TABLE responses (
     id                   TEXT PRIMARY KEY,
     key_id               TEXT,
     workspace_id         TEXT,
     previous_response_id TEXT,
     model                TEXT NOT NULL,
     input_json           TEXT NOT NULL,
     response_json        TEXT NOT NULL,
     origin               TEXT NOT NULL,
     created_at_ms        INTEGER NOT NULL,
     expires_at_ms        INTEGER NOT NULL
   );
   CREATE INDEX responses_expires_at ON responses (expires_at_ms);`,
];

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  applied_at TEXT NOT NULL
)`;

function currentVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get();
  return typeof row?.version === 'number' ? row.version : 0;
}

/**
 * Runs the migrations this database has not seen yet, all in one write transaction: two processes starting at
 * once serialise on the write lock, and a failing step leaves the schema as it was. Returns how many ran.
 */
export function applyMigrations(db: DatabaseSync, migrations: readonly string[] = MIGRATIONS): number {
  return runInTransaction(db, () => {
    db.exec(TRACKING_TABLE);
    const current = currentVersion(db);
    if (current > migrations.length) {
      throw new Error(`the database schema is at version ${current}, newer than this Switchboard knows (${migrations.length}); run a newer Switchboard`);
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    const pending = migrations.slice(current);
    pending.forEach((sql, index) => {
      db.exec(sql);
      record.run(current + index + 1, new Date().toISOString());
    });
    return pending.length;
  });
}
