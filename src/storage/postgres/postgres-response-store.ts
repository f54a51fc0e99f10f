import type { ResponseStore } from '../ports.ts';
import { checkMaxTurns } from '../check-max-turns.ts';
import { epochMs } from '../response-record.ts';
import { responseOwner, type ResponseOwner } from '../response-visible.ts';
import { RESPONSE_PARAMS, responseQueries, responseValues, rowToResponse } from '../sql/response-columns.ts';
import type { SqlClient } from './postgres-pool.ts';

const QUERIES = responseQueries({
  param: (name) => `$${RESPONSE_PARAMS.indexOf(name) + 1}`,
  value: (index) => `$${index + 1}`,
  selectJson: (qualified, column) => `${qualified}::text AS ${column}`,
});

/** Responses per retention DELETE: each its own short statement, so no lock is held for long. */
const DELETE_BATCH_ROWS = 1000;
const DELETE_EXPIRED_SQL = `DELETE FROM responses WHERE id IN (SELECT id FROM responses WHERE expires_at_ms <= $1 LIMIT ${DELETE_BATCH_ROWS} FOR UPDATE SKIP LOCKED)`;

/**
 * The owner to look under, or undefined when nothing can match: text cannot hold U+0000 (PostgreSQL would refuse
 * the query), and put refuses it, so an id or owner with one names no stored response, as in the other adapters.
 */
function lookup(id: string, owner: ResponseOwner | undefined): ResponseOwner | undefined {
  return owner === undefined || id.includes('\u0000') || owner.id.includes('\u0000') ? undefined : owner;
}

export function createPostgresResponseStore(db: SqlClient): ResponseStore {
  return {
    async put(response) {
      await db.query(QUERIES.put, responseValues(response));
    },
    async get(id, scope, nowMs) {
      epochMs(nowMs, 'nowMs');
      const owner = lookup(id, responseOwner(scope));
      if (owner === undefined) return undefined;
      const { rows } = await db.query(QUERIES.get[owner.by], [id, owner.id, nowMs]);
      return rows[0] && rowToResponse(rows[0]);
    },
    async conversation(id, scope, nowMs, maxTurns) {
      epochMs(nowMs, 'nowMs');
      checkMaxTurns(maxTurns);
      const owner = lookup(id, responseOwner(scope));
      if (owner === undefined) return undefined;
      const { rows } = await db.query(QUERIES.conversation[owner.by], [id, owner.id, nowMs, maxTurns]);
      return rows.length === 0 ? undefined : rows.map(rowToResponse);
    },
    async delete(id, scope) {
      const owner = lookup(id, responseOwner(scope));
      if (owner === undefined) return false;
      const { rowCount } = await db.query(QUERIES.delete[owner.by], [id, owner.id]);
      return (rowCount ?? 0) > 0;
    },
    async deleteExpired(nowMs) {
      epochMs(nowMs, 'nowMs');
      let deleted = 0;
      for (;;) {
        const { rowCount } = await db.query(DELETE_EXPIRED_SQL, [nowMs]);
        deleted += rowCount ?? 0;
        if ((rowCount ?? 0) < DELETE_BATCH_ROWS) return deleted;
      }
    },
  };
}
