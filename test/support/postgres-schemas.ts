import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

/** The machine's PostgreSQL (DESIGN §8): trust auth, database "test". Override for another server. */
export const TEST_POSTGRES_URL = process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Schemas per DROP statement (see dropAll). */
const DROP_BATCH = 20;

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
        // A few schemas per statement: one DROP takes a lock per object it removes, and a file's hundred-odd schemas
        // at once run out of the server's lock table (max_locks_per_transaction).
        while (names.length > 0) {
          const batch = names.slice(-DROP_BATCH);
          await client.query(`DROP SCHEMA IF EXISTS ${batch.join(', ')} CASCADE`);
          names.length -= batch.length;
        }
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * A test file's PostgreSQL: fresh schemas, an admin pool to look at them, and whatever the file opened (closeAfter),
 * all closed and dropped when the file ends.
 */
export function postgresTestFixture(connectionString = TEST_POSTGRES_URL): { schemas: PostgresSchemas; admin: pg.Pool; closeAfter(close: () => Promise<unknown>): void } {
  const schemas = postgresSchemas(connectionString);
  const admin = new pg.Pool({ connectionString, max: 2 });
  const closers: Array<() => Promise<unknown>> = [];
  after(async () => {
    await Promise.all(closers.map((close) => close()));
    await schemas.dropAll();
    await admin.end();
  });
  return { schemas, admin, closeAfter: (close) => { closers.push(close); } };
}
