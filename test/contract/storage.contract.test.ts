import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import { createPostgresStorage } from '../../src/storage/postgres/postgres-storage.ts';
import { createSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.ts';
import { postgresSchemas, TEST_POSTGRES_URL } from '../support/postgres-schemas.ts';
import { runAuditStoreContract } from './audit-store.contract.ts';
import { runConfigStoreContract } from './config-store.contract.ts';
import { runKeyStoreContract } from './key-store.contract.ts';
import { runResponseStoreContract } from './response-store.contract.ts';
import { runStorageLifecycleContract } from './storage-lifecycle.contract.ts';
import { runUsageAnalyticsContract } from './usage-analytics.contract.ts';
import { runUsageStoreContract } from './usage-store.contract.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

const sqliteDir = mkdtempSync(join(tmpdir(), 'switchboard-storage-contract-'));
after(() => rmSync(sqliteDir, { recursive: true, force: true }));
let sqliteFiles = 0;
// The machine's real PostgreSQL: a new schema per test (migrate() creates it), all dropped when the file ends.
const pgSchemas = postgresSchemas();
after(() => pgSchemas.dropAll());

/**
 * Every storage adapter, each able to make a fresh empty store per test. A new adapter (PostgreSQL on its own
 * schema, Redis on its own key prefix) is one more row.
 */
const ADAPTERS: ReadonlyArray<readonly [name: string, make: MakeStorage]> = [
  ['memory', async () => createMemoryStorage()],
  ['sqlite', async () => createSqliteStorage({ path: join(sqliteDir, `${++sqliteFiles}.db`) })],
  ['postgres', async () => createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema: pgSchemas.fresh() })],
];

for (const [name, make] of ADAPTERS) {
  runKeyStoreContract(name, make);
  runUsageStoreContract(name, make);
  runUsageAnalyticsContract(name, make);
  runStorageLifecycleContract(name, make);
  runConfigStoreContract(name, make);
  runAuditStoreContract(name, make);
  runResponseStoreContract(name, make);
}
