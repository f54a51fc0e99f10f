import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import type { UsageQuery, UsageStore } from '../ports.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { pushUsageValues, rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { runInTransaction } from './run-in-transaction.ts';
import type { StatementCache } from './statement-cache.ts';

const SELECT_USAGE_SQL = `SELECT ${USAGE_COLUMNS.join(', ')} FROM usage_records`;
/** Rows per multi-row INSERT: one statement per 100 records costs far less than 100 statements (bench: usage-insert). */
const INSERT_BATCH_ROWS = 100;
const ROW_PLACEHOLDERS = `(${USAGE_COLUMNS.map(() => '?').join(', ')})`;
const insertSqlByRows: string[] = [];

/** An INSERT of `rows` records with positional parameters, USAGE_COLUMNS order (texts built once per size). */
function insertUsageSql(rows: number): string {
  return insertSqlByRows[rows] ??= `INSERT INTO usage_records (${USAGE_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW_PLACEHOLDERS).join(', ')}`;
}

interface ListStatement {
  readonly sql: string;
  readonly params: Record<string, SQLInputValue>;
}

/**
 * One SQL text per combination of filters (at most eight, each prepared once) instead of one text with
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
  if (query.since !== undefined) {
    where.push('started_at_ms >= $sinceMs');
    params.sinceMs = toEpochMs(query.since, 'since');
  }
  const filter = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  // rowid breaks startedAt ties by insertion order, the same rule the memory adapter follows.
  return { sql: `${SELECT_USAGE_SQL}${filter} ORDER BY started_at_ms DESC, rowid DESC LIMIT $limit`, params };
}

export function createSqliteUsageStore(db: DatabaseSync, statements: StatementCache): UsageStore {
  return {
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
  };
}
