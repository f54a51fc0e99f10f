import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { UsageAnalytics, UsageQuery, UsageStore } from '../ports.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { pushUsageValues, rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import { rowToVariantStats } from '../sql/variant-stats-columns.ts';
import { checkFeedback } from '../check-feedback.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { runInTransaction } from './run-in-transaction.ts';
import { createSqliteUsageAnalytics } from './sqlite-usage-analytics.ts';
import type { StatementCache } from './statement-cache.ts';

const SELECT_USAGE_SQL = `SELECT ${USAGE_COLUMNS.join(', ')} FROM usage_records`;
/** Rows per multi-row INSERT: one statement per 100 records costs far less than 100 statements (bench: usage-insert). */
const INSERT_BATCH_ROWS = 100;
const ROW_PLACEHOLDERS = `(${USAGE_COLUMNS.map(() => '?').join(', ')})`;
const insertSqlByRows: string[] = [];

/** An INSERT of `rows` records with positional parameters, USAGE_COLUMNS order (texts built once per size). */
function insertUsageSql(rows: number): string {
  // ON CONFLICT DO NOTHING: a record delivered again (the journal delivers at least once) is stored once.
  return insertSqlByRows[rows] ??= `INSERT INTO usage_records (${USAGE_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

interface ListStatement {
  readonly sql: string;
  readonly params: Record<string, SQLInputValue>;
}

/**
 * One SQL text per combination of filters (at most sixteen, each prepared once) instead of one text with
 * "$x IS NULL OR col = $x" clauses, which would stop SQLite from using the indexes.
 */
function listStatement(query: UsageQuery): ListStatement {
  const where: string[] = [];
  const params: Record<string, SQLInputValue> = { limit: resolveUsageLimit(query.limit) };
  if (query.requestId !== undefined) {
    where.push('request_id = $requestId');
    params.requestId = query.requestId;
  }
  if (query.keyId !== undefined) {
    where.push('key_id = $keyId');
    params.keyId = query.keyId;
  }
  if (query.workspaceId !== undefined) {
    where.push('workspace_id = $workspaceId');
    params.workspaceId = query.workspaceId;
  }
  if (query.kind !== undefined) {
    where.push('kind = $kind');
    params.kind = query.kind;
  }
  if (query.since !== undefined) {
    where.push('started_at_ms >= $sinceMs');
    params.sinceMs = toEpochMs(query.since, 'since');
  }
  const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  // rowid breaks startedAt ties by insertion order, the same rule the memory adapter follows.
  return { sql: `${SELECT_USAGE_SQL}${filter} ORDER BY started_at_ms DESC, rowid DESC LIMIT $limit`, params };
}

/**
 * Per variant of one experiment, in one pass over its request records (the usage_records_experiment index) with
 * each record's feedback found by primary key. TOTAL() always answers a float and never overflows, unlike SUM()
 * over integers; squares are taken as REAL for the same reason. BINARY collation sorts by code point, as the other
 * adapters do.
 */
function variantStatsSql(withSince: boolean): string {
  return `SELECT u.variant AS variant, COUNT(*) AS requests, COUNT(CASE WHEN u.outcome = 'ok' THEN 1 END) AS successes,
      TOTAL(u.latency_ms) AS latency_sum, TOTAL(u.latency_ms * u.latency_ms) AS latency_sum_sq,
      TOTAL(u.cost_usd) AS cost_sum, TOTAL(u.cost_usd * u.cost_usd) AS cost_sum_sq,
      TOTAL(u.input_tokens + u.output_tokens + u.cached_input_tokens) AS tokens_sum,
      TOTAL(CAST(u.input_tokens + u.output_tokens + u.cached_input_tokens AS REAL) * (u.input_tokens + u.output_tokens + u.cached_input_tokens)) AS tokens_sum_sq,
      COUNT(f.score) AS feedback_count, TOTAL(f.score) AS feedback_sum, TOTAL(f.score * f.score) AS feedback_sum_sq
    FROM usage_records u
    LEFT JOIN experiment_feedback f ON f.experiment_id = u.experiment_id AND f.request_id = u.request_id
    WHERE u.experiment_id = $experimentId AND u.kind = 'request' AND u.variant IS NOT NULL${withSince ? ' AND u.started_at_ms >= $sinceMs' : ''}
    GROUP BY u.variant
    ORDER BY u.variant COLLATE BINARY`;
}
const VARIANT_STATS_SQL = variantStatsSql(false);
const VARIANT_STATS_SINCE_SQL = variantStatsSql(true);

const PUT_FEEDBACK_SQL = `INSERT INTO experiment_feedback (experiment_id, request_id, score, comment, at, at_ms)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (experiment_id, request_id) DO UPDATE SET score = excluded.score, comment = excluded.comment, at = excluded.at, at_ms = excluded.at_ms`;

export function createSqliteUsageStore(db: DatabaseSync, statements: StatementCache): UsageStore & UsageAnalytics {
  return {
    ...createSqliteUsageAnalytics(statements),
    async insertMany(records) {
      if (records.length === 0) return;
      runInTransaction(db, () => {
        for (let start = 0; start < records.length; start += INSERT_BATCH_ROWS) {
          const chunk = records.slice(start, start + INSERT_BATCH_ROWS);
          const values: SqlValue[] = [];
          for (const record of chunk) pushUsageValues(record, values);
          statements.get(insertUsageSql(chunk.length)).run(...values);
        }
      });
    },
    async list(query) {
      const { sql, params } = listStatement(query);
      return statements.get(sql).all(params).map(rowToUsage);
    },
    async variantStats(experimentId, since) {
      if (since === undefined) return statements.get(VARIANT_STATS_SQL).all({ experimentId }).map(rowToVariantStats);
      const sinceMs = toEpochMs(since, 'since');
      return statements.get(VARIANT_STATS_SINCE_SQL).all({ experimentId, sinceMs }).map(rowToVariantStats);
    },
    async putFeedback(feedback) {
      const atMs = checkFeedback(feedback);
      statements.get(PUT_FEEDBACK_SQL).run(feedback.experimentId, feedback.requestId, feedback.score, feedback.comment, feedback.at, atMs);
    },
  };
}
