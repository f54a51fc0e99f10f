import type { DatabaseSync } from 'node:sqlite';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ResponseStore } from '../ports.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { runInTransaction } from './run-in-transaction.ts';
import { checkMaxTurns } from '../check-max-turns.ts';
import { epochMs } from '../response-record.ts';
import { responseOwner } from '../response-visible.ts';
import { responseQueries, responseValues, rowToResponse } from '../sql/response-columns.ts';
import type { StatementCache } from './statement-cache.ts';

const QUERIES = responseQueries({
  param: (name) => `$${name}`,
  value: () => '?',
  selectJson: (qualified) => qualified,
});

/**
 * Responses per retention DELETE. Small, because a response can be large (a long conversation's input): each
 * DELETE frees its rows' pages synchronously, and the event loop is served between batches.
 */
const DELETE_BATCH_ROWS = 100;
const DELETE_EXPIRED_SQL = `DELETE FROM responses WHERE rowid IN (SELECT rowid FROM responses WHERE expires_at_ms <= ? LIMIT ${DELETE_BATCH_ROWS})`;

/**
 * `statements` must be the connection that never waits for a lock (sqlite-storage.ts, `bulk`): puts happen on
 * the request path, and node:sqlite waits synchronously, so while another process holds the write lock a put fails
 * at once ("database is locked") rather than stopping every request of this process. In WAL mode reads never
 * wait for a writer.
 */
export function createSqliteResponseStore(db: DatabaseSync, statements: StatementCache): ResponseStore {
  // Group commit: the puts of one turn of the event loop share a transaction. A response is stored before its
  // answer is sent, so under load many wait at once, and a commit of its own each (a WAL frame and a lock round)
  // cost more than the rest of the request.
  let queued: Array<{ readonly values: SqlValue[]; readonly stored: () => void; readonly failed: (err: unknown) => void }> = [];
  const commit = (): void => {
    const batch = queued;
    queued = [];
    try {
      runInTransaction(db, () => {
        const put = statements.get(QUERIES.put);
        for (const p of batch) put.run(...p.values);
      });
    } catch (err) {
      for (const p of batch) p.failed(err);
      return;
    }
    for (const p of batch) p.stored();
  };
  return {
    async put(response) {
      // Checked and serialised here: a bad response is refused on its own, before it could fail the others' commit.
      const values = responseValues(response);
      await new Promise<void>((stored, failed) => {
        if (queued.push({ values, stored, failed }) === 1) setImmediate(commit);
      });
    },
    async get(id, scope, nowMs) {
      const owner = responseOwner(scope);
      epochMs(nowMs, 'nowMs');
      if (owner === undefined) return undefined;
      const row = statements.get(QUERIES.get[owner.by]).get({ id, owner: owner.id, nowMs });
      return row && rowToResponse(row);
    },
    async conversation(id, scope, nowMs, maxTurns) {
      const owner = responseOwner(scope);
      epochMs(nowMs, 'nowMs');
      checkMaxTurns(maxTurns);
      if (owner === undefined) return undefined;
      const rows = statements.get(QUERIES.conversation[owner.by]).all({ id, owner: owner.id, nowMs, maxTurns });
      return rows.length === 0 ? undefined : rows.map(rowToResponse);
    },
    async delete(id, scope) {
      const owner = responseOwner(scope);
      if (owner === undefined) return false;
      return Number(statements.get(QUERIES.delete[owner.by]).run({ id, owner: owner.id }).changes) > 0;
    },
    async deleteExpired(nowMs) {
      epochMs(nowMs, 'nowMs');
      let deleted = 0;
      for (;;) {
        const n = Number(statements.get(DELETE_EXPIRED_SQL).run(nowMs).changes);
        deleted += n;
        if (n < DELETE_BATCH_ROWS) return deleted;
        await yieldToLoop();
      }
    },
  };
}
