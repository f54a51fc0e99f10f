import type { DatabaseSync } from 'node:sqlite';
import { ConfigVersionConflict, type ConfigStore } from '../ports.ts';
import { CONFIG_COLUMNS, CONFIG_SUMMARY_COLUMNS, configListBounds, configValues, rowToConfigSummary, rowToConfigVersion } from '../sql/config-columns.ts';
import { runInTransaction } from './run-in-transaction.ts';
import type { StatementCache } from './statement-cache.ts';

const LATEST_SQL = 'SELECT COALESCE(MAX(version), 0) AS version FROM config_versions';
const GET_SQL = `SELECT ${CONFIG_COLUMNS.join(', ')} FROM config_versions WHERE version = ?`;
const LIST_SQL = `SELECT ${CONFIG_SUMMARY_COLUMNS.join(', ')} FROM config_versions
  WHERE version < ? ORDER BY version DESC LIMIT ?`;
// RETURNING gives back what was stored, so the caller's record is a fresh copy equal to what get() answers.
const INSERT_SQL = `INSERT INTO config_versions (${CONFIG_COLUMNS.join(', ')})
  VALUES (${CONFIG_COLUMNS.map(() => '?').join(', ')}) RETURNING ${CONFIG_COLUMNS.join(', ')}`;

/** onAppend tells Storage.subscribe listeners; it runs after the new version is committed. */
export function createSqliteConfigStore(db: DatabaseSync, statements: StatementCache, onAppend: (version: number) => void): ConfigStore {
  const latest = (): number => Number(statements.get(LATEST_SQL).get()?.version ?? 0);
  return {
    async latestVersion() {
      return latest();
    },
    async get(version) {
      const row = statements.get(GET_SQL).get(version);
      return row && rowToConfigVersion(row);
    },
    async list(query) {
      const { before, limit } = configListBounds(query);
      return statements.get(LIST_SQL).all(before, limit).map(rowToConfigSummary);
    },
    async append(entry, expectedLatest) {
      // Check and insert under one write lock (BEGIN IMMEDIATE), so another process cannot slip in between.
      const record = runInTransaction(db, () => {
        const head = latest();
        if (head !== expectedLatest) throw new ConfigVersionConflict(expectedLatest, head);
        const row = statements.get(INSERT_SQL).get(...configValues(entry, head + 1));
        if (row === undefined) throw new Error('config_versions: INSERT … RETURNING answered no row');
        return rowToConfigVersion(row);
      });
      onAppend(record.version);
      return record;
    },
  };
}
