import pg from 'pg';
import type { Row } from '../sql/read-column.ts';

/** What the stores need of a connection: one query at a time, rows as plain records. */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<SqlResult>;
}

export interface SqlResult {
  readonly rows: Row[];
  readonly rowCount: number | null;
}

/**
 * A pg.Pool that refuses work once closed (as every Storage does) and runs transactions on one pooled client.
 * pg would also fail after end(), but with a pool-specific message and only once the pool has drained.
 */
export class PostgresPool implements SqlClient {
  readonly #pool: pg.Pool;
  #ending: Promise<void> | undefined;

  constructor(config: pg.PoolConfig) {
    this.#pool = new pg.Pool(config);
    // An idle client that loses its connection (server restart, pg_terminate_backend) is dropped by the pool and
    // replaced on the next query; without a listener that 'error' event would crash the process.
    this.#pool.on('error', () => undefined);
  }

  async query(text: string, values?: unknown[]): Promise<SqlResult> {
    this.#assertOpen();
    return this.#pool.query<Row>(text, values);
  }

  /** Runs `work` between BEGIN and COMMIT on one client; ROLLBACK if it throws. */
  async transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const client = await this.#pool.connect();
    const session: SqlClient = { query: (text, values) => client.query<Row>(text, values) };
    try {
      await client.query('BEGIN');
      const result = await work(session);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (error) {
      // A client whose ROLLBACK fails is broken: release(error) destroys it instead of handing it out again.
      await client.query('ROLLBACK').then(() => client.release(), (rollbackError: Error) => client.release(rollbackError));
      throw error;
    }
  }

  /**
   * Runs `work` on one pooled client outside any transaction (for session-level advisory locks). If `work` throws,
   * the connection is closed rather than reused, which also drops whatever it held (locks, an open transaction).
   */
  async session<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const client = await this.#pool.connect();
    try {
      const result = await work({ query: (text, values) => client.query<Row>(text, values) });
      client.release();
      return result;
    } catch (error) {
      client.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  /** Ends the pool once; later calls answer the same promise. */
  end(): Promise<void> {
    this.#ending ??= this.#pool.end();
    return this.#ending;
  }

  #assertOpen(): void {
    if (this.#ending !== undefined) throw new Error('storage is closed');
  }
}
