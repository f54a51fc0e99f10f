import type { PostgresPool, SqlClient } from './postgres-pool.ts';

/**
 * The PostgreSQL schema, one step per entry; version N is entry N-1. Append only: never edit or reorder a released
 * entry, because databases in the field record which versions they already ran.
 *
 * The tables mirror SQLite's (src/storage/sqlite/migrations.ts) so both decode rows with the same code
 * (src/storage/sql/): times as the ISO text given plus epoch milliseconds (*_ms, bigint) for ordering and filters,
 * models as JSON text (null and [] stay apart). `seq` stands in for SQLite's rowid: it breaks time ties by
 * insertion order. Configuration content is `json`, not `jsonb`, so it reads back exactly as written, key order
 * included.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE api_keys (
     seq             bigint GENERATED ALWAYS AS IDENTITY,
     id              text PRIMARY KEY,
     prefix          text NOT NULL UNIQUE,
     hash            text NOT NULL,
     name            text NOT NULL,
     role            text NOT NULL,
     models          text,
     created_at      text NOT NULL,
     created_at_ms   bigint NOT NULL,
     revoked_at      text,
     last_used_at    text,
     last_used_at_ms bigint
   );
   CREATE INDEX api_keys_created_at ON api_keys (created_at_ms DESC, seq DESC);`,
  `CREATE TABLE usage_records (
     seq                 bigint GENERATED ALWAYS AS IDENTITY,
     id                  text PRIMARY KEY,
     request_id          text NOT NULL,
     kind                text NOT NULL,
     attempt             integer NOT NULL,
     started_at          text NOT NULL,
     started_at_ms       bigint NOT NULL,
     key_id              text,
     endpoint            text NOT NULL,
     stream              boolean NOT NULL,
     provider            text,
     model_requested     text NOT NULL,
     model_served        text,
     status              integer NOT NULL,
     outcome             text NOT NULL,
     error_code          text,
     input_tokens        bigint NOT NULL,
     output_tokens       bigint NOT NULL,
     cached_input_tokens bigint NOT NULL,
     cache_write_tokens  bigint NOT NULL,
     cost_usd            double precision NOT NULL,
     latency_ms          double precision NOT NULL,
     ttft_ms             double precision
   );
   CREATE INDEX usage_records_request_id ON usage_records (request_id);
   CREATE INDEX usage_records_key_id ON usage_records (key_id, started_at_ms DESC, seq DESC);
   CREATE INDEX usage_records_started_at ON usage_records (started_at_ms DESC, seq DESC);`,
  `CREATE TABLE config_versions (
     version    bigint PRIMARY KEY,
     author     text NOT NULL,
     created_at text NOT NULL,
     summary    text NOT NULL,
     content    json NOT NULL,
     diff       json NOT NULL
   );`,
  // What the routing decision said; experiments aggregate their variants by experiment id.
  `ALTER TABLE usage_records ADD COLUMN workspace_id text, ADD COLUMN agent_type text, ADD COLUMN user_id text,
     ADD COLUMN rule_id text, ADD COLUMN experiment_id text, ADD COLUMN variant text;
   CREATE INDEX usage_records_experiment ON usage_records (experiment_id, kind) WHERE experiment_id IS NOT NULL;`,
  // Feedback scores of experiment requests, one per (experiment, request), joined to the request records by
  // request id when UsageStore.variantStats aggregates a variant.
  `CREATE TABLE experiment_feedback (
     experiment_id text NOT NULL,
     request_id    text NOT NULL,
     score         double precision NOT NULL,
     comment       text,
     at            text NOT NULL,
     at_ms         bigint NOT NULL,
     PRIMARY KEY (experiment_id, request_id)
   );`,
  // Tenancy. A key belongs to a workspace (admin keys made before: to none, they see every one; the others: to
  // "default"), has scopes (NULL: its role's) and may expire; "inference" keys become members.
  `ALTER TABLE api_keys ADD COLUMN workspace_id text, ADD COLUMN scopes text, ADD COLUMN expires_at text,
     ADD COLUMN expires_at_ms bigint;
   UPDATE api_keys SET workspace_id = 'default' WHERE role <> 'admin';
   UPDATE api_keys SET role = 'member' WHERE role = 'inference';
   CREATE INDEX api_keys_workspace ON api_keys (workspace_id, created_at_ms DESC);`,
  // A key's own budget (JSON: daily, weekly, monthly, total, enforcement); NULL: none.
  `ALTER TABLE api_keys ADD COLUMN budget_limits text;`,
  // Reasoning tokens (part of output_tokens), retries and the targets tried in order (a JSON array of labels, as text
  // so that both SQL adapters share one column mapping).
  `ALTER TABLE usage_records ADD COLUMN reasoning_tokens integer NOT NULL DEFAULT 0, ADD COLUMN retries integer NOT NULL DEFAULT 0,
     ADD COLUMN fallback_chain text NOT NULL DEFAULT '[]';`,
  // Audit events (AuditStore), read by request id, by workspace, actor, action or target over time; seq breaks
  // time ties. before and after are jsonb. The action is compared byte by byte (COLLATE "C"), so a prefix query
  // is a range on its index whatever the database's locale.
  `CREATE TABLE audit_events (
     seq                bigint GENERATED ALWAYS AS IDENTITY,
     id                 text PRIMARY KEY,
     at                 text NOT NULL,
     at_ms              bigint NOT NULL,
     action             text COLLATE "C" NOT NULL,
     outcome            text NOT NULL,
     code               text,
     actor_key_id       text,
     actor_workspace_id text,
     actor_user_id      text,
     ip                 text,
     request_id         text,
     workspace_id       text,
     target_type        text NOT NULL,
     target_id          text,
     before_json        jsonb,
     after_json         jsonb
   );
   CREATE INDEX audit_events_request_id ON audit_events (request_id);
   CREATE INDEX audit_events_workspace ON audit_events (workspace_id, at_ms DESC, seq DESC);
   CREATE INDEX audit_events_actor ON audit_events (actor_key_id, at_ms DESC, seq DESC);
   CREATE INDEX audit_events_action ON audit_events (action, at_ms DESC, seq DESC);
   CREATE INDEX audit_events_target ON audit_events (target_type, target_id, at_ms DESC, seq DESC);
   CREATE INDEX audit_events_at ON audit_events (at_ms DESC, seq DESC);`,
  // Usage analytics: a workspace's records over time; insertion order (seq) for the roll-up job's late records;
  // hourly and daily roll-ups of the request records (src/storage/postgres/usage-rollups.ts: no NULL in their
  // keys, '' instead; latency histograms as sparse bucket/count arrays) and where the roll-ups end.
  `CREATE INDEX usage_records_workspace_time ON usage_records (workspace_id, started_at_ms, seq);
   CREATE INDEX usage_records_seq ON usage_records (seq);
   CREATE TABLE usage_rollups_hourly (
     bucket_ms           bigint NOT NULL,
     workspace_id        text NOT NULL,
     key_id              text NOT NULL,
     model               text NOT NULL,
     provider            text NOT NULL,
     requests            bigint NOT NULL,
     errors              bigint NOT NULL,
     input_tokens        bigint NOT NULL,
     output_tokens       bigint NOT NULL,
     cached_input_tokens bigint NOT NULL,
     cache_write_tokens  bigint NOT NULL,
     cost_usd            double precision NOT NULL,
     latency_sum_ms      double precision NOT NULL,
     ttft_count          bigint NOT NULL,
     ttft_sum_ms         double precision NOT NULL,
     latency_buckets     integer[] NOT NULL,
     latency_counts      bigint[] NOT NULL,
     ttft_buckets        integer[] NOT NULL,
     ttft_counts         bigint[] NOT NULL,
     PRIMARY KEY (bucket_ms, workspace_id, key_id, model, provider)
   );
   CREATE INDEX usage_rollups_hourly_workspace ON usage_rollups_hourly (workspace_id, bucket_ms);
   CREATE TABLE usage_rollups_daily (LIKE usage_rollups_hourly INCLUDING ALL);
   CREATE TABLE usage_rollup_state (
     id              boolean PRIMARY KEY DEFAULT true CHECK (id),
     rolled_until_ms bigint NOT NULL,
     last_seq        bigint NOT NULL,
     seen_seq        bigint NOT NULL,
     updated_at      timestamptz NOT NULL DEFAULT now()
   );`,
  // Stored Responses API responses (ResponseStore), read by id only (the primary key, also for the
  // previous_response_id walk). input and response are json, not jsonb: they read back exactly as written, and
  // json keeps a \u0000 escape (a caller's text may hold one) where jsonb refuses it. Retention deletes by expiry.
  `CREATE TABLE responses (
     id                   text PRIMARY KEY,
     key_id               text,
     workspace_id         text,
     previous_response_id text,
     model                text NOT NULL,
     input_json           json NOT NULL,
     response_json        json NOT NULL,
     origin               text NOT NULL,
     created_at_ms        bigint NOT NULL,
     expires_at_ms        bigint NOT NULL
   );
   CREATE INDEX responses_expires_at ON responses (expires_at_ms);`,
];

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

// Two keys: a fixed one for "Switchboard migrations" and the schema's hash, so replicas of one deployment
// serialise while deployments in other schemas of the same database do not wait for each other.
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('switchboard.migrations'), hashtext($1))";

async function currentVersion(client: SqlClient): Promise<number> {
  const { rows } = await client.query('SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations');
  return Number(rows[0]?.version ?? 0);
}

/** Creates the schema unless it exists (checking first: CREATE SCHEMA needs a privilege a later run may lack). */
async function ensureSchema(client: SqlClient, schema: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // The name is a validated lowercase identifier (postgres-storage.ts), so it needs no quoting.
  if (rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
}

/**
 * Runs the migrations this database has not seen yet, all in one transaction under an advisory lock: replicas
 * starting at once serialise (the second finds nothing to do), and a failing step leaves the schema as it was.
 * `schema`, when given, is created if missing; every connection already has it as search_path. Returns how many ran.
 */
export async function applyMigrations(pool: PostgresPool, schema: string | undefined, migrations: readonly string[] = MIGRATIONS): Promise<number> {
  return pool.transaction(async (client) => {
    await client.query(LOCK_SQL, [schema ?? '']);
    if (schema !== undefined) await ensureSchema(client, schema);
    await client.query(TRACKING_TABLE);
    const current = await currentVersion(client);
    if (current > migrations.length) {
      throw new Error(`the database schema is at version ${current}, newer than this Switchboard knows (${migrations.length}); run a newer Switchboard`);
    }
    const pending = migrations.slice(current);
    for (const [index, sql] of pending.entries()) {
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [current + index + 1]);
    }
    return pending.length;
  });
}
