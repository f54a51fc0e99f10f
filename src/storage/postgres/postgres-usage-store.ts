import type { UsageRecord } from '../../domain/usage-record.ts';
import type { UsageAnalytics, UsageQuery, UsageStore } from '../ports.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { pushUsageValues, rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import { rowToVariantStats } from '../sql/variant-stats-columns.ts';
import { checkFeedback } from '../check-feedback.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import type { PostgresPool } from './postgres-pool.ts';
import { createPostgresUsageAnalytics } from './postgres-usage-analytics.ts';

type UsageColumn = (typeof USAGE_COLUMNS)[number];

/** Each column's array type for unnest (a Record over the columns, so a new column without a type fails tsc). */
const ARRAY_TYPES: Record<UsageColumn, string> = {
  id: 'text', request_id: 'text', kind: 'text', attempt: 'integer', started_at: 'text', started_at_ms: 'bigint',
  key_id: 'text', endpoint: 'text', stream: 'boolean', provider: 'text', model_requested: 'text', model_served: 'text',
  status: 'integer', outcome: 'text', error_code: 'text', input_tokens: 'bigint', output_tokens: 'bigint',
  cached_input_tokens: 'bigint', cache_write_tokens: 'bigint', cost_usd: 'double precision', latency_ms: 'double precision',
  ttft_ms: 'double precision', workspace_id: 'text', agent_type: 'text', user_id: 'text', rule_id: 'text', experiment_id: 'text',
  variant: 'text', reasoning_tokens: 'integer', retries: 'integer', fallback_chain: 'text',
};

const COLUMN_LIST = USAGE_COLUMNS.join(', ');
/**
 * Any batch in one statement: one array per column, unnest()ed back into rows. One statement is one transaction
 * (all or nothing) and one round trip, and its text never changes with the batch size. ORDER BY ord assigns seq
 * in batch order, so time ties read back latest insert first, as in SQLite. A record delivered again (the journal
 * delivers at least once) is stored once.
 */
const INSERT_SQL = `INSERT INTO usage_records (${COLUMN_LIST})
  SELECT ${COLUMN_LIST} FROM unnest(${USAGE_COLUMNS.map((column, i) => `$${i + 1}::${ARRAY_TYPES[column]}[]`).join(', ')})
    WITH ORDINALITY AS batch (${COLUMN_LIST}, ord)
  ORDER BY ord
  ON CONFLICT (id) DO NOTHING`;
const SELECT_USAGE_SQL = `SELECT ${COLUMN_LIST} FROM usage_records`;

/** The batch as one array per column, in USAGE_COLUMNS order; throws before any write on a bad startedAt. */
function toColumns(records: readonly UsageRecord[]): SqlValue[][] {
  const columns: SqlValue[][] = USAGE_COLUMNS.map(() => []);
  const row: SqlValue[] = [];
  for (const record of records) {
    row.length = 0;
    pushUsageValues(record, row);
    row.forEach((value, index) => columns[index]?.push(value));
  }
  return columns;
}

/** Only the filters given, each as its own clause, so the planner can use the matching index. */
function listStatement(query: UsageQuery): { text: string; values: SqlValue[] } {
  const where: string[] = [];
  const values: SqlValue[] = [];
  const filter = (clause: string, value: SqlValue): void => {
    values.push(value);
    where.push(`${clause} $${values.length}`);
  };
  if (query.requestId !== undefined) filter('request_id =', query.requestId);
  if (query.keyId !== undefined) filter('key_id =', query.keyId);
  if (query.workspaceId !== undefined) filter('workspace_id =', query.workspaceId);
  if (query.kind !== undefined) filter('kind =', query.kind);
  if (query.since !== undefined) filter('started_at_ms >=', toEpochMs(query.since, 'since'));
  values.push(resolveUsageLimit(query.limit));
  const clauses = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  return { text: `${SELECT_USAGE_SQL}${clauses} ORDER BY started_at_ms DESC, seq DESC LIMIT $${values.length}`, values };
}

/**
 * Per variant of one experiment, in one pass over its request records (the usage_records_experiment index) with
 * each record's feedback found by primary key. Sums are taken as double precision (SUM over bigint would answer
 * numeric, which pg reads as text); counts are bigint, which this store's clients read as numbers. COLLATE "C"
 * sorts by code point whatever the database's locale, as the other adapters do.
 */
function variantStatsSql(withSince: boolean): string {
  const tokens = '(u.input_tokens + u.output_tokens + u.cached_input_tokens)::double precision';
  return `SELECT u.variant AS variant, COUNT(*) AS requests, COUNT(*) FILTER (WHERE u.outcome = 'ok') AS successes,
      SUM(u.latency_ms) AS latency_sum, SUM(u.latency_ms * u.latency_ms) AS latency_sum_sq,
      SUM(u.cost_usd) AS cost_sum, SUM(u.cost_usd * u.cost_usd) AS cost_sum_sq,
      SUM(${tokens}) AS tokens_sum, SUM(${tokens} * ${tokens}) AS tokens_sum_sq,
      COUNT(f.score) AS feedback_count, COALESCE(SUM(f.score), 0) AS feedback_sum, COALESCE(SUM(f.score * f.score), 0) AS feedback_sum_sq
    FROM usage_records u
    LEFT JOIN experiment_feedback f ON f.experiment_id = u.experiment_id AND f.request_id = u.request_id
    WHERE u.experiment_id = $1 AND u.kind = 'request' AND u.variant IS NOT NULL${withSince ? ' AND u.started_at_ms >= $2' : ''}
    GROUP BY u.variant
    ORDER BY u.variant COLLATE "C"`;
}
const VARIANT_STATS_SQL = variantStatsSql(false);
const VARIANT_STATS_SINCE_SQL = variantStatsSql(true);

const PUT_FEEDBACK_SQL = `INSERT INTO experiment_feedback (experiment_id, request_id, score, comment, at, at_ms)
  VALUES ($1, $2, $3, $4, $5, $6)
  ON CONFLICT (experiment_id, request_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, at = excluded.at, at_ms = excluded.at_ms`;

export function createPostgresUsageStore(db: PostgresPool): UsageStore & UsageAnalytics {
  return {
    ...createPostgresUsageAnalytics(db),
    async insertMany(records) {
      if (records.length === 0) return;
      await db.query(INSERT_SQL, toColumns(records));
    },
    async list(query) {
      const { text, values } = listStatement(query);
      return (await db.query(text, values)).rows.map(rowToUsage);
    },
    async variantStats(experimentId, since) {
      const { rows } = since === undefined
        ? await db.query(VARIANT_STATS_SQL, [experimentId])
        : await db.query(VARIANT_STATS_SINCE_SQL, [experimentId, toEpochMs(since, 'since')]);
      return rows.map(rowToVariantStats);
    },
    async putFeedback(feedback) {
      const atMs = checkFeedback(feedback);
      await db.query(PUT_FEEDBACK_SQL, [feedback.experimentId, feedback.requestId, feedback.score, feedback.comment, feedback.at, atMs]);
    },
  };
}
