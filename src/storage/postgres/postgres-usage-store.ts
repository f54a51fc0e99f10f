import type { UsageRecord } from '../../domain/usage-record.ts';
import type { UsageQuery, UsageStore } from '../ports.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { pushUsageValues, rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import type { SqlClient } from './postgres-pool.ts';

type UsageColumn = (typeof USAGE_COLUMNS)[number];

/** Each column's array type for unnest (a Record over the columns, so a new column without a type fails tsc). */
const ARRAY_TYPES: Record<UsageColumn, string> = {
  id: 'text', request_id: 'text', kind: 'text', attempt: 'integer', started_at: 'text', started_at_ms: 'bigint',
  key_id: 'text', endpoint: 'text', stream: 'boolean', provider: 'text', model_requested: 'text', model_served: 'text',
  status: 'integer', outcome: 'text', error_code: 'text', input_tokens: 'bigint', output_tokens: 'bigint',
  cached_input_tokens: 'bigint', cache_write_tokens: 'bigint', cost_usd: 'double precision', latency_ms: 'double precision',
  ttft_ms: 'double precision', workspace_id: 'text', agent_type: 'text', user_id: 'text', rule_id: 'text', experiment_id: 'text',
  variant: 'text',
};

const COLUMN_LIST = USAGE_COLUMNS.join(', ');
/**
 * Any batch in one statement: one array per column, unnest()ed back into rows. One statement is one transaction
 * (all or nothing) and one round trip, and its text never changes with the batch size. ORDER BY ord assigns seq
 * in batch order, so time ties read back latest insert first, as in SQLite.
 */
const INSERT_SQL = `INSERT INTO usage_records (${COLUMN_LIST})
  SELECT ${COLUMN_LIST} FROM unnest(${USAGE_COLUMNS.map((column, i) => `$${i + 1}::${ARRAY_TYPES[column]}[]`).join(', ')})
    WITH ORDINALITY AS batch (${COLUMN_LIST}, ord)
  ORDER BY ord`;
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
  if (query.since !== undefined) filter('started_at_ms >=', toEpochMs(query.since, 'since'));
  values.push(resolveUsageLimit(query.limit));
  const clauses = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
  return { text: `${SELECT_USAGE_SQL}${clauses} ORDER BY started_at_ms DESC, seq DESC LIMIT $${values.length}`, values };
}

export function createPostgresUsageStore(db: SqlClient): UsageStore {
  return {
    async insertMany(records) {
      if (records.length === 0) return;
      await db.query(INSERT_SQL, toColumns(records));
    },
    async list(query) {
      const { text, values } = listStatement(query);
      return (await db.query(text, values)).rows.map(rowToUsage);
    },
  };
}
