import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { UsageRecord } from '../../domain/usage-record.ts';
import type { UsageAnalytics, UsageQuery, UsageStore } from '../ports.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { readText } from '../sql/read-column.ts';
import { pushUsageValues } from '../sql/usage-columns.ts';
import { rowToVariantStats } from '../sql/variant-stats-columns.ts';
import { checkFeedback } from '../check-feedback.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { foldValues, kindClause, planRows, ROW_COLUMNS, rowRecords, type PlannedRow } from './folded-usage.ts';
import { runInTransaction } from './run-in-transaction.ts';
import { createSqliteUsageAnalytics } from './sqlite-usage-analytics.ts';
import type { StatementCache } from './statement-cache.ts';

const SELECT_USAGE_SQL = `SELECT ${ROW_COLUMNS.join(', ')} FROM usage_records`;
/** Rows per multi-row INSERT: one statement per 100 records costs far less than 100 statements (bench: usage-insert). */
const INSERT_BATCH_ROWS = 100;
const ROW_PLACEHOLDERS = `(${ROW_COLUMNS.map(() => '?').join(', ')})`;
const insertSqlByRows: string[] = [];
/** Ids per lookup of what a batch may hold already (well under SQLite's limit on parameters). */
const LOOKUP_IDS = 500;

/** An INSERT of `rows` rows with positional parameters, ROW_COLUMNS order (texts built once per size). */
function insertUsageSql(rows: number): string {
  // ON CONFLICT DO NOTHING: a record delivered again (the journal delivers at least once) is stored once.
  return insertSqlByRows[rows] ??= `INSERT INTO usage_records (${ROW_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

function placeholders(n: number): string {
  return Array(n).fill('?').join(', ');
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
  if (query.kind !== undefined) where.push(kindClause(query.kind));
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
  /** Which of `ids` are stored as rows of their own (`column` id), or folded into their request's row (attempt_id). */
  function present(ids: readonly string[], sql: (n: number) => string, column: string): Set<string> {
    const found = new Set<string>();
    for (let start = 0; start < ids.length; start += LOOKUP_IDS) {
      const chunk = ids.slice(start, start + LOOKUP_IDS);
      for (const row of statements.get(sql(chunk.length)).all(...chunk)) found.add(readText(row, column));
    }
    return found;
  }

  /**
   * The journal delivers at least once, and a batch delivered again may be cut elsewhere: an attempt once stored
   * apart from its request must not be folded into it now, and one folded before must not come back as a row. A
   * first delivery holds neither (the look-ups cost about 0.5 µs a request).
   */
  function rowsOf(records: readonly UsageRecord[], firstDelivery: boolean): PlannedRow[] {
    if (firstDelivery) return planRows(records, () => false);
    const attempts = records.filter((r) => r.kind === 'attempt');
    if (attempts.length === 0) return records.map((record) => ({ record, folded: null }));
    const apart = present(attempts.map((a) => a.id), (n) => `SELECT id FROM usage_records WHERE id IN (${placeholders(n)})`, 'id');
    const rows = planRows(records, (attempt) => apart.has(attempt.id));
    const alone = rows.filter((row) => row.record.kind === 'attempt' && !apart.has(row.record.id));
    if (alone.length === 0) return rows;
    const folded = present([...new Set(alone.map((row) => row.record.requestId))],
      (n) => `SELECT attempt_id FROM usage_records WHERE request_id IN (${placeholders(n)}) AND attempt_id IS NOT NULL`, 'attempt_id');
    return folded.size === 0 ? rows : rows.filter((row) => !(row.record.kind === 'attempt' && folded.has(row.record.id)));
  }

  return {
    ...createSqliteUsageAnalytics(statements),
    async insertMany(records, options) {
      if (records.length === 0) return;
      runInTransaction(db, () => {
        const rows = rowsOf(records, options?.firstDelivery === true);
        for (let start = 0; start < rows.length; start += INSERT_BATCH_ROWS) {
          const chunk = rows.slice(start, start + INSERT_BATCH_ROWS);
          const values: SqlValue[] = [];
          for (const row of chunk) {
            pushUsageValues(row.record, values);
            values.push(...foldValues(row));
          }
          statements.get(insertUsageSql(chunk.length)).run(...values);
        }
      });
    },
    async list(query) {
      const { sql, params } = listStatement(query);
      // Newest first: a folded row's request before its attempt (the attempt was recorded just before it).
      const records = statements.get(sql).all(params).flatMap((row) => rowRecords(row, query.kind).reverse());
      const limit = resolveUsageLimit(query.limit);
      return records.length > limit ? records.slice(0, limit) : records;
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
