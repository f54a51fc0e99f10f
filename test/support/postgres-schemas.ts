import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The machine's PostgreSQL (DESIGN §8): trust auth, database "test". Override for another server. */
export const TEST_POSTGRES_URL = process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface PostgresSchemas {
  /** A new schema name (not yet created: migrate() creates it), remembered for dropAll(). */
  fresh(): string;
  /** Drops every schema fresh() named, with whatever is in it. */
  dropAll(): Promise<void>;
}

/** Schemas a test file owns: `sb_test_<random>` each, so parallel files and runs never see each other's tables. */
export function postgresSchemas(connectionString = TEST_POSTGRES_URL): PostgresSchemas {
  const names: string[] = [];
  return {
    fresh() {
      const name = `sb_test_${randomBytes(6).toString('hex')}`;
      names.push(name);
      return name;
    },
    async dropAll() {
      if (names.length === 0) return;
      const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${names.join(', ')} CASCADE`);
        names.length = 0;
      } finally {
        await client.end();
      }
    },
  };
}
