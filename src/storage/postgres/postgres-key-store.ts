import type { KeyStore, StorageChange } from '../ports.ts';
import { KEY_COLUMNS, keyValues, rowToKey } from '../sql/key-columns.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { CHANGE_CHANNEL } from './change-notice.ts';
import type { SqlClient } from './postgres-pool.ts';

const SELECT_KEYS_SQL = `SELECT ${KEY_COLUMNS.join(', ')} FROM api_keys`;
const INSERT_KEY_SQL = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;
const GET_SQL = `${SELECT_KEYS_SQL} WHERE id = $1`;
const FIND_BY_PREFIX_SQL = `${SELECT_KEYS_SQL} WHERE prefix = $1`;
// seq breaks createdAt ties by insertion order, as SQLite's rowid does.
const LIST_SQL = `${SELECT_KEYS_SQL} ORDER BY created_at_ms DESC, seq DESC`;
// One statement, so one implicit transaction: COALESCE keeps the first revocation time (the row still matches, so
// a second revoke answers true), and the notification goes out with the commit, only if a key matched.
const REVOKE_SQL = `WITH revoked AS (UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id)
  SELECT pg_notify('${CHANGE_CHANNEL}', $3) FROM revoked`;
const COUNT_SQL = 'SELECT COUNT(*) AS count FROM api_keys';
// Only ever brings the expiry forward; notified like a revocation so every replica's cache reads the key again.
const EXPIRE_SQL = `WITH expired AS (UPDATE api_keys SET
    expires_at = CASE WHEN expires_at_ms IS NULL OR expires_at_ms > $3 THEN $2 ELSE expires_at END,
    expires_at_ms = CASE WHEN expires_at_ms IS NULL OR expires_at_ms > $3 THEN $3 ELSE expires_at_ms END
    WHERE id = $1 RETURNING id)
  SELECT pg_notify('${CHANGE_CHANNEL}', $4) FROM expired`;
// The whole batch in one statement (one transaction). DISTINCT ON keeps, per key, the batch's latest time (the
// first of equal ones), as applying the entries one by one would; epoch ms, not the ISO text, decides "later".
const TOUCH_SQL = `UPDATE api_keys AS k SET last_used_at = t.at, last_used_at_ms = t.ms
  FROM (SELECT DISTINCT ON (id) id, at, ms
        FROM unnest($1::text[], $2::text[], $3::bigint[]) WITH ORDINALITY AS u (id, at, ms, ord)
        ORDER BY id, ms DESC, ord) AS t
  WHERE k.id = t.id AND (k.last_used_at_ms IS NULL OR k.last_used_at_ms < t.ms)`;

/**
 * `notice` makes the pg_notify payload of a change; onRevoke tells this process's listeners once the revocation
 * is committed (change-notice.ts explains why they are not told through LISTEN).
 */
export function createPostgresKeyStore(db: SqlClient, notice: (change: StorageChange) => string, onRevoke: (id: string) => void): KeyStore {
  return {
    async insert(record) {
      await db.query(INSERT_KEY_SQL, keyValues(record));
    },
    async get(id) {
      const { rows } = await db.query(GET_SQL, [id]);
      return rows[0] && rowToKey(rows[0]);
    },
    async findByPrefix(prefix) {
      const { rows } = await db.query(FIND_BY_PREFIX_SQL, [prefix]);
      return rows[0] && rowToKey(rows[0]);
    },
    async list() {
      return (await db.query(LIST_SQL)).rows.map(rowToKey);
    },
    async revoke(id, at) {
      toEpochMs(at, 'revokedAt');
      const { rowCount } = await db.query(REVOKE_SQL, [id, at, notice({ kind: 'key', id })]);
      const matched = (rowCount ?? 0) > 0;
      if (matched) onRevoke(id);
      return matched;
    },
    async count() {
      return Number((await db.query(COUNT_SQL)).rows[0]?.count ?? 0);
    },
    async expire(id, at) {
      const ms = toEpochMs(at, 'expiresAt');
      const { rowCount } = await db.query(EXPIRE_SQL, [id, at, ms, notice({ kind: 'key', id })]);
      const matched = (rowCount ?? 0) > 0;
      if (matched) onRevoke(id);
      return matched;
    },
    async touch(entries) {
      if (entries.length === 0) return;
      // Every time is checked before the statement runs, so a bad one writes nothing.
      const ms = entries.map((entry) => toEpochMs(entry.at, 'lastUsedAt'));
      await db.query(TOUCH_SQL, [entries.map((entry) => entry.id), entries.map((entry) => entry.at), ms]);
    },
  };
}
