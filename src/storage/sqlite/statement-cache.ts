import type { DatabaseSync, StatementSync } from 'node:sqlite';

export interface StatementCache {
  /** The prepared statement for this SQL text, prepared on first use and reused after. */
  get(sql: string): StatementSync;
}

/**
 * Prepares lazily rather than at open, because the tables only exist once migrate() has run; a statement whose
 * preparation fails is not cached, so it works on the next call after migrating.
 */
export function createStatementCache(db: DatabaseSync): StatementCache {
  const statements = new Map<string, StatementSync>();
  return {
    get(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
