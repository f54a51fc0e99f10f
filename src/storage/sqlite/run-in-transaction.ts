import type { DatabaseSync } from 'node:sqlite';

/**
 * Runs `work` in one transaction: commits if it returns, rolls back if it throws.
 * BEGIN IMMEDIATE takes the write lock up front, so busy_timeout can wait for it; a deferred transaction that
 * upgrades from read to write later can fail with SQLITE_BUSY without waiting.
 */
export function runInTransaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = work();
    db.exec('COMMIT');
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw error;
  }
}
