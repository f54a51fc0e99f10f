import { ConfigVersionConflict, type ConfigStore, type ConfigVersionRecord, type NewConfigVersion, type StorageChange } from '../ports.ts';
import { CONFIG_COLUMNS, CONFIG_SUMMARY_COLUMNS, configListBounds, configValues, rowToConfigSummary, rowToConfigVersion } from '../sql/config-columns.ts';
import { CHANGE_CHANNEL } from './change-notice.ts';
import type { PostgresPool, SqlClient } from './postgres-pool.ts';

const LATEST_SQL = 'SELECT COALESCE(MAX(version), 0) AS version FROM config_versions';
const GET_SQL = `SELECT ${CONFIG_COLUMNS.join(', ')} FROM config_versions WHERE version = $1`;
const LIST_SQL = `SELECT ${CONFIG_SUMMARY_COLUMNS.join(', ')} FROM config_versions
  WHERE version < $1 ORDER BY version DESC LIMIT $2`;
// Appenders to this schema's history queue here until the holder commits; readers never wait. An advisory lock
// rather than LOCK TABLE, which autovacuum's lock would delay. Under READ COMMITTED the following SELECT takes a
// fresh snapshot, so it sees the version the previous holder committed.
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('switchboard.config'), hashtext(current_schema()))";
// The notification is queued inside the transaction and delivered only if it commits.
const INSERT_SQL = `WITH inserted AS (
    INSERT INTO config_versions (${CONFIG_COLUMNS.join(', ')})
    VALUES (${CONFIG_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING ${CONFIG_COLUMNS.join(', ')})
  SELECT inserted.*, pg_notify('${CHANGE_CHANNEL}', $${CONFIG_COLUMNS.length + 1}) FROM inserted`;
const UNIQUE_VIOLATION = '23505';

async function latest(db: SqlClient): Promise<number> {
  return Number((await db.query(LATEST_SQL)).rows[0]?.version ?? 0);
}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/**
 * `notice` makes the pg_notify payload of a change; onAppend tells this process's listeners once the version is
 * committed (change-notice.ts explains why they are not told through LISTEN).
 */
export function createPostgresConfigStore(pool: PostgresPool, notice: (change: StorageChange) => string, onAppend: (version: number) => void): ConfigStore {
  async function insertAfterCheck(entry: NewConfigVersion, expectedLatest: number): Promise<ConfigVersionRecord> {
    return pool.transaction(async (client) => {
      await client.query(LOCK_SQL);
      const head = await latest(client);
      if (head !== expectedLatest) throw new ConfigVersionConflict(expectedLatest, head);
      const version = head + 1;
      const { rows } = await client.query(INSERT_SQL, [...configValues(entry, version), notice({ kind: 'config', version })]);
      if (rows[0] === undefined) throw new Error('config_versions: INSERT … RETURNING answered no row');
      return rowToConfigVersion(rows[0]);
    });
  }

  return {
    async latestVersion() {
      return latest(pool);
    },
    async get(version) {
      // A version is a whole number; anything else names no version (and would not parse as bigint): NULL matches none.
      const { rows } = await pool.query(GET_SQL, [Number.isSafeInteger(version) ? version : null]);
      return rows[0] && rowToConfigVersion(rows[0]);
    },
    async list(query) {
      const { before, limit } = configListBounds(query);
      return (await pool.query(LIST_SQL, [before, limit])).rows.map(rowToConfigSummary);
    },
    async append(entry, expectedLatest) {
      try {
        const record = await insertAfterCheck(entry, expectedLatest);
        onAppend(record.version);
        return record;
      } catch (error) {
        // Only a writer that skipped the lock (another tool, a hand-run INSERT) can cause this; same answer.
        if (isUniqueViolation(error)) throw new ConfigVersionConflict(expectedLatest, await latest(pool));
        throw error;
      }
    },
  };
}
