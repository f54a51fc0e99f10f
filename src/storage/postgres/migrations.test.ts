/** PostgreSQL migrations against the machine's real server, each test on its own schema. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApiKeyRecord } from '../../../test/support/api-key-record-factory.ts';
import { makeUsageRecord } from '../../../test/support/usage-record-factory.ts';
import { makeStoredResponse, RESPONSE_NOW_MS } from '../../../test/contract/stored-response-factory.ts';
import { postgresTestFixture, TEST_POSTGRES_URL } from '../../../test/support/postgres-schemas.ts';
import { pushUsageValues, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { applyMigrations, MIGRATIONS } from './migrations.ts';
import { PostgresPool } from './postgres-pool.ts';
import { createPostgresStorage } from './postgres-storage.ts';

const { schemas, admin, closeAfter } = postgresTestFixture();

/** A raw pool on `schema` (as the storage builds it), for calling applyMigrations with other step lists. */
function poolOn(schema: string): PostgresPool {
  const pool = new PostgresPool({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}`, max: 2 });
  closeAfter(() => pool.end());
  return pool;
}

async function versions(schema: string): Promise<number[]> {
  const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
  return rows.map((row: { version: number }) => row.version);
}

async function tableExists(schema: string, table: string): Promise<boolean> {
  const { rows } = await admin.query('SELECT to_regclass($1) AS oid', [`${schema}.${table}`]);
  return rows[0].oid !== null;
}

const allVersions = MIGRATIONS.map((_, index) => index + 1);

describe('PostgreSQL migrations', () => {
  it('create the missing schema, apply each step once and record it; a second run applies none', async () => {
    const schema = schemas.fresh();
    const pool = poolOn(schema);
    assert.equal(await applyMigrations(pool, schema), MIGRATIONS.length);
    assert.equal(await applyMigrations(pool, schema), 0);
    assert.deepEqual(await versions(schema), allVersions);
    for (const table of ['api_keys', 'usage_records', 'config_versions', 'experiment_feedback', 'audit_events', 'responses']) assert.ok(await tableExists(schema, table), table);
  });

  it('keep data and the version table unchanged when migrate() runs again', async () => {
    const schema = schemas.fresh();
    const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      const key = makeApiKeyRecord();
      await storage.migrate();
      await storage.keys.insert(key);
      await storage.migrate();
      await storage.migrate();
      assert.deepEqual(await storage.keys.list(), [key]);
    } finally {
      await storage.close();
    }
    assert.deepEqual(await versions(schema), allVersions);
  });

  it('serialise replicas that start at once: one applies every step, the others none, and all succeed', async () => {
    const schema = schemas.fresh();
    const ran = await Promise.all([poolOn(schema), poolOn(schema), poolOn(schema)].map((pool) => applyMigrations(pool, schema)));
    assert.deepEqual([...ran].sort(), [0, 0, MIGRATIONS.length]);
    assert.deepEqual(await versions(schema), allVersions);
  });

  it('let two storages migrate the same schema concurrently, then both work', async () => {
    const schema = schemas.fresh();
    const [a, b] = [createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema }), createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema })];
    try {
      await Promise.all([a!.migrate(), b!.migrate()]);
      const key = makeApiKeyRecord();
      await a!.keys.insert(key);
      assert.deepEqual(await b!.keys.get(key.id), key);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
    assert.deepEqual(await versions(schema), allVersions);
  });

  it('upgrade a version-4 schema: its experiment records aggregate, and feedback can be given on them', async () => {
    const schema = schemas.fresh();
    const pool = poolOn(schema);
    await applyMigrations(pool, schema, MIGRATIONS.slice(0, 4));
    const record = makeUsageRecord({ experimentId: 'exp-1', variant: 'a', latencyMs: 2.5 });
    const values: SqlValue[] = [];
    pushUsageValues(record, values);
    // The columns a version-4 schema has: the ones added later are at the end of USAGE_COLUMNS.
    const old = USAGE_COLUMNS.slice(0, USAGE_COLUMNS.indexOf('reasoning_tokens'));
    await pool.query(`INSERT INTO usage_records (${old.join(', ')}) VALUES (${old.map((_, i) => `$${i + 1}`).join(', ')})`, values.slice(0, old.length));
    const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      await storage.migrate();
      assert.deepEqual((await storage.usage.variantStats('exp-1')).map((s) => [s.variant, s.requests, s.latencySum, s.feedbackCount]), [['a', 1, 2.5, 0]]);
      await storage.usage.putFeedback({ experimentId: 'exp-1', requestId: record.requestId, score: 1, comment: null, at: '2025-03-01T00:00:00.000Z' });
      assert.equal((await storage.usage.variantStats('exp-1'))[0]?.feedbackSum, 1);
    } finally {
      await storage.close();
    }
    assert.deepEqual(await versions(schema), allVersions);
  });

  it('upgrade a schema of the version before stored responses: its data stays, and responses can be stored', async () => {
    const schema = schemas.fresh();
    const before = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE responses'));
    assert.ok(before > 0);
    await applyMigrations(poolOn(schema), schema, MIGRATIONS.slice(0, before));
    const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      const key = makeApiKeyRecord();
      await storage.keys.insert(key);
      await storage.migrate();
      assert.deepEqual(await storage.keys.get(key.id), key);
      const response = makeStoredResponse();
      await storage.responses.put(response);
      assert.deepEqual(await storage.responses.get(response.id, { keyId: response.keyId, workspaceId: response.workspaceId }, RESPONSE_NOW_MS), response);
    } finally {
      await storage.close();
    }
    assert.deepEqual(await versions(schema), allVersions);
  });

  it('apply only the missing steps, in order', async () => {
    const schema = schemas.fresh();
    const pool = poolOn(schema);
    await applyMigrations(pool, schema);
    const next = [...MIGRATIONS, 'CREATE TABLE extra_a (id text)', 'CREATE TABLE extra_b (a_id text)'];
    assert.equal(await applyMigrations(pool, schema, next), 2);
    assert.deepEqual(await versions(schema), next.map((_, index) => index + 1));
  });

  it('roll every pending step back when one fails', async () => {
    const schema = schemas.fresh();
    const pool = poolOn(schema);
    await applyMigrations(pool, schema);
    await assert.rejects(applyMigrations(pool, schema, [...MIGRATIONS, 'CREATE TABLE extra (id text)', 'CREATE TABLE broken (']), /syntax error/);
    assert.deepEqual(await versions(schema), allVersions);
    assert.equal(await tableExists(schema, 'extra'), false);
    assert.equal(await applyMigrations(pool, schema), 0, 'the pool still works after the rollback');
  });

  it('roll the new schema itself back when the first run fails', async () => {
    const schema = schemas.fresh();
    await assert.rejects(applyMigrations(poolOn(schema), schema, ['CREATE TABLE broken (']));
    const { rowCount } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    assert.equal(rowCount, 0);
  });

  it('refuse a database migrated by a newer Switchboard', async () => {
    const schema = schemas.fresh();
    const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
    try {
      await storage.migrate();
      await admin.query(`INSERT INTO ${schema}.schema_migrations (version) VALUES ($1)`, [MIGRATIONS.length + 1]);
      const refusal = new RegExp(`schema is at version ${MIGRATIONS.length + 1}, newer than this Switchboard knows \\(${MIGRATIONS.length}\\)`);
      await assert.rejects(storage.migrate(), refusal);
    } finally {
      await storage.close();
    }
    assert.deepEqual(await versions(schema), [...allVersions, MIGRATIONS.length + 1], 'the refusal changed nothing');
  });
});
