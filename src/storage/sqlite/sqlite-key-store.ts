import type { DatabaseSync } from 'node:sqlite';
import type { KeyStore } from '../ports.ts';
import { KEY_COLUMNS, keyValues, rowToKey } from '../sql/key-columns.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { runInTransaction } from './run-in-transaction.ts';
import type { StatementCache } from './statement-cache.ts';

const SELECT_KEYS_SQL = `SELECT ${KEY_COLUMNS.join(', ')} FROM api_keys`;
const INSERT_KEY_SQL = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map(() => '?').join(', ')})`;
const GET_SQL = `${SELECT_KEYS_SQL} WHERE id = ?`;
const FIND_BY_PREFIX_SQL = `${SELECT_KEYS_SQL} WHERE prefix = ?`;
// rowid breaks createdAt ties by insertion order, the same rule the memory adapter follows.
const LIST_SQL = `${SELECT_KEYS_SQL} ORDER BY created_at_ms DESC, rowid DESC`;
// COALESCE keeps the first revocation time; the row still counts as changed, so a second revoke answers true.
const REVOKE_SQL = 'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?';
const COUNT_SQL = 'SELECT COUNT(*) AS count FROM api_keys';
// Only ever brings the expiry forward; the row counts as matched either way.
const EXPIRE_SQL = `UPDATE api_keys SET
  expires_at = CASE WHEN expires_at_ms IS NULL OR expires_at_ms > $ms THEN $at ELSE expires_at END,
  expires_at_ms = CASE WHEN expires_at_ms IS NULL OR expires_at_ms > $ms THEN $ms ELSE expires_at_ms END
  WHERE id = $id`;
// Compares epoch ms, not the ISO text, so only a later time moves lastUsedAt; an unknown id matches no row.
const TOUCH_SQL = `UPDATE api_keys SET last_used_at = $at, last_used_at_ms = $ms
  WHERE id = $id AND (last_used_at_ms IS NULL OR last_used_at_ms < $ms)`;

/** onRevoke tells Storage.subscribe listeners; it runs after a revocation that matched a key is stored. */
/**
 * `bulk` is the connection that never waits for a lock (sqlite-storage.ts): the periodic lastUsedAt writes go
 * through it, so another process holding the write lock makes them fail and be kept for the next flush instead of
 * stopping the event loop; the admin writes wait as configured.
 */
export function createSqliteKeyStore(db: DatabaseSync, statements: StatementCache, onRevoke: (id: string) => void, bulk: { readonly db: DatabaseSync; readonly statements: StatementCache } = { db, statements }): KeyStore {
  return {
    async insert(record) {
      statements.get(INSERT_KEY_SQL).run(...keyValues(record));
    },
    async get(id) {
      const row = statements.get(GET_SQL).get(id);
      return row && rowToKey(row);
    },
    async findByPrefix(prefix) {
      const row = statements.get(FIND_BY_PREFIX_SQL).get(prefix);
      return row && rowToKey(row);
    },
    async list() {
      return statements.get(LIST_SQL).all().map(rowToKey);
    },
    async revoke(id, at) {
      toEpochMs(at, 'revokedAt');
      const matched = Number(statements.get(REVOKE_SQL).run(at, id).changes) > 0;
      if (matched) onRevoke(id);
      return matched;
    },
    async count() {
      return Number(statements.get(COUNT_SQL).get()?.count ?? 0);
    },
    async expire(id, at) {
      const ms = toEpochMs(at, 'expiresAt');
      const matched = Number(statements.get(EXPIRE_SQL).run({ id, at, ms }).changes) > 0;
      if (matched) onRevoke(id);
      return matched;
    },
    async touch(entries) {
      if (entries.length === 0) return;
      const params = entries.map((entry) => ({ id: entry.id, at: entry.at, ms: toEpochMs(entry.at, 'lastUsedAt') }));
      // One transaction: one commit (and fsync) for the whole batch instead of one per key.
      runInTransaction(bulk.db, () => {
        const touch = bulk.statements.get(TOUCH_SQL);
        for (const param of params) touch.run(param);
      });
    },
  };
}
