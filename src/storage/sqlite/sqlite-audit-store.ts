import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { DatabaseSync } from 'node:sqlite';
import type { AuditStore } from '../ports.ts';
import { resolveAuditQuery, unknownCursor } from '../resolve-audit-query.ts';
import { AUDIT_COLUMNS, auditClauses, pushAuditValues, rowToAudit } from '../sql/audit-columns.ts';
import { readNumber } from '../sql/read-column.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { runInTransaction } from './run-in-transaction.ts';
import type { StatementCache } from './statement-cache.ts';

const SELECT_SQL = `SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit_events`;
const CURSOR_SQL = 'SELECT at_ms, rowid AS seq FROM audit_events WHERE id = ?';
/** Rows per multi-row INSERT (16 parameters each, far below SQLite's limit of 32 766). */
const INSERT_BATCH_ROWS = 100;
const ROW_PLACEHOLDERS = `(${AUDIT_COLUMNS.map(() => '?').join(', ')})`;
const insertSqlByRows: string[] = [];

/** An INSERT of `rows` events; an id stored already (or repeated in the batch) is left as it is. */
function insertSql(rows: number): string {
  return insertSqlByRows[rows] ??= `INSERT INTO audit_events (${AUDIT_COLUMNS.join(', ')}) VALUES ${Array(rows).fill(ROW_PLACEHOLDERS).join(', ')} ON CONFLICT (id) DO NOTHING`;
}

/** Events per retention DELETE: a few milliseconds of a synchronous write each, with the event loop served in between. */
const DELETE_BATCH_ROWS = 1000;
const DELETE_OLD_SQL = `DELETE FROM audit_events WHERE rowid IN (SELECT rowid FROM audit_events WHERE at_ms < ? LIMIT ${DELETE_BATCH_ROWS})`;

export function createSqliteAuditStore(db: DatabaseSync, statements: StatementCache): AuditStore {
  return {
    async insertMany(events) {
      if (events.length === 0) return;
      // Every value first: a bad event throws before the transaction starts.
      const chunks: SqlValue[][] = [];
      for (let start = 0; start < events.length; start += INSERT_BATCH_ROWS) {
        const values: SqlValue[] = [];
        for (const event of events.slice(start, start + INSERT_BATCH_ROWS)) pushAuditValues(event, values);
        chunks.push(values);
      }
      runInTransaction(db, () => {
        for (const values of chunks) statements.get(insertSql(values.length / AUDIT_COLUMNS.length)).run(...values);
      });
    },
    async list(query) {
      const filter = resolveAuditQuery(query);
      const values: SqlValue[] = [];
      const where = auditClauses(filter, (value) => {
        values.push(value);
        return '?';
      });
      if (filter.before !== undefined) {
        const cursor = statements.get(CURSOR_SQL).get(filter.before);
        if (cursor === undefined) throw unknownCursor(filter.before);
        // A row value: the index's (at_ms, rowid) order, so the page starts right after the cursor.
        where.push('(at_ms, rowid) < (?, ?)');
        values.push(readNumber(cursor, 'at_ms'), readNumber(cursor, 'seq'));
      }
      values.push(filter.limit);
      const clauses = where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`;
      // One SQL text per combination of filters, each prepared once; rowid breaks time ties by insertion order.
      return statements.get(`${SELECT_SQL}${clauses} ORDER BY at_ms DESC, rowid DESC LIMIT ?`).all(...values).map(rowToAudit);
    },
    async deleteBefore(cutoffMs) {
      let deleted = 0;
      for (;;) {
        const n = Number(statements.get(DELETE_OLD_SQL).run(cutoffMs).changes);
        deleted += n;
        if (n < DELETE_BATCH_ROWS) return deleted;
        await yieldToLoop();
      }
    },
  };
}
