import type { AuditEvent } from '../../domain/audit-event.ts';
import type { AuditStore } from '../ports.ts';
import { resolveAuditQuery, unknownCursor } from '../resolve-audit-query.ts';
import { AUDIT_COLUMNS, auditClauses, pushAuditValues, rowToAudit } from '../sql/audit-columns.ts';
import { readNumber } from '../sql/read-column.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import type { SqlClient } from './postgres-pool.ts';

type AuditColumn = (typeof AUDIT_COLUMNS)[number];

const JSON_COLUMNS: ReadonlySet<AuditColumn> = new Set(['before_json', 'after_json']);
const COLUMN_LIST = AUDIT_COLUMNS.join(', ');
/**
 * Any batch in one statement, as the usage store writes (postgres-usage-store.ts): one array per column
 * unnest()ed back into rows, in batch order; the JSON travels as text and becomes jsonb here.
 */
const INSERT_SQL = `INSERT INTO audit_events (${COLUMN_LIST})
  SELECT ${AUDIT_COLUMNS.map((c) => (JSON_COLUMNS.has(c) ? `${c}::jsonb` : c)).join(', ')}
    FROM unnest(${AUDIT_COLUMNS.map((c, i) => `$${i + 1}::${c === 'at_ms' ? 'bigint' : 'text'}[]`).join(', ')})
    WITH ORDINALITY AS batch (${COLUMN_LIST}, ord)
  ORDER BY ord
  ON CONFLICT (id) DO NOTHING`;
/** jsonb read back as text, so both SQL adapters decode the same JSON text. */
const SELECT_SQL = `SELECT ${AUDIT_COLUMNS.map((c) => (JSON_COLUMNS.has(c) ? `${c}::text AS ${c}` : c)).join(', ')} FROM audit_events`;
const CURSOR_SQL = 'SELECT at_ms, seq FROM audit_events WHERE id = $1';

/** A JSON \u0000 escape (not an escaped backslash followed by "u0000"): jsonb refuses it. */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a caller can put in a name or a path parameter; it is
 * stored as U+FFFD instead of failing the batch (and every event behind it) for good.
 */
function withoutNul(value: SqlValue, column: AuditColumn): SqlValue {
  if (typeof value !== 'string') return value;
  const text = JSON_COLUMNS.has(column) ? value.replace(JSON_NUL, '$1\\ufffd') : value;
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\ufffd') : text;
}

/** The batch as one array per column, in AUDIT_COLUMNS order; throws before any write on a bad event. */
function toColumns(events: readonly AuditEvent[]): SqlValue[][] {
  const columns: SqlValue[][] = AUDIT_COLUMNS.map(() => []);
  const row: SqlValue[] = [];
  for (const event of events) {
    row.length = 0;
    pushAuditValues(event, row);
    row.forEach((value, index) => columns[index]?.push(withoutNul(value, AUDIT_COLUMNS[index] ?? 'id')));
  }
  return columns;
}

/** Events per retention DELETE: each its own short statement, so no lock is held for long. */
const DELETE_BATCH_ROWS = 5000;
const DELETE_OLD_SQL = `DELETE FROM audit_events WHERE seq IN (SELECT seq FROM audit_events WHERE at_ms < $1 LIMIT ${DELETE_BATCH_ROWS} FOR UPDATE SKIP LOCKED)`;

export function createPostgresAuditStore(db: SqlClient): AuditStore {
  return {
    async insertMany(events) {
      if (events.length === 0) return;
      await db.query(INSERT_SQL, toColumns(events));
    },
    async list(query) {
      const filter = resolveAuditQuery(query);
      const values: SqlValue[] = [];
      const bind = (value: SqlValue): string => {
        values.push(value);
        return `$${values.length}`;
      };
      const where = auditClauses(filter, bind);
      if (filter.before !== undefined) {
        const { rows } = await db.query(CURSOR_SQL, [filter.before]);
        const cursor = rows[0];
        if (cursor === undefined) throw unknownCursor(filter.before);
        where.push(`(at_ms, seq) < (${bind(readNumber(cursor, 'at_ms'))}, ${bind(readNumber(cursor, 'seq'))})`);
      }
      const clauses = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      const { rows } = await db.query(`${SELECT_SQL}${clauses} ORDER BY at_ms DESC, seq DESC LIMIT ${bind(filter.limit)}`, values);
      return rows.map(rowToAudit);
    },
    async deleteBefore(cutoffMs) {
      let deleted = 0;
      for (;;) {
        const { rowCount } = await db.query(DELETE_OLD_SQL, [cutoffMs]);
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < DELETE_BATCH_ROWS) return deleted;
      }
    },
  };
}
