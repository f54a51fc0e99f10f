/** SQLite-only behaviour; the port's semantics are covered by test/contract/storage.contract.test.ts. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { ConfigVersionConflict, type Storage } from '../ports.ts';
import { makeApiKeyRecord } from '../../../test/support/api-key-record-factory.ts';
import { makeAuditEvent } from '../../../test/support/audit-event-factory.ts';
import { makeUsageRecord } from '../../../test/support/usage-record-factory.ts';
import { makeStoredResponse, RESPONSE_NOW_MS } from '../../../test/contract/stored-response-factory.ts';
import { pushUsageValues, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { applyMigrations, MIGRATIONS } from './migrations.ts';
import { createSqliteStorage } from './sqlite-storage.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `${++files}.db`);

/** Opens, migrates, runs `use`, and always closes, so a failed assertion leaves no open handle behind. */
async function withStorage<T>(path: string, use: (storage: Storage) => Promise<T>, busyTimeoutMs?: number): Promise<T> {
  const storage = createSqliteStorage({ path, busyTimeoutMs });
  try {
    await storage.migrate();
    return await use(storage);
  } finally {
    await storage.close();
  }
}

/** A second, raw connection to inspect the file the way another process would. */
function inspect<T>(path: string, read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(path);
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function countUsageRows(path: string): number {
  return inspect(path, (db) => Number(db.prepare('SELECT COUNT(*) AS n FROM usage_records').get()?.n));
}

describe('createSqliteStorage', () => {
  it('keeps keys and usage when the file is opened again', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord({ models: ['m1'] });
    const record = makeUsageRecord({ stream: true, ttftMs: null });
    await withStorage(path, async (storage) => {
      await storage.keys.insert(key);
      await storage.keys.revoke(key.id, '2025-02-01T00:00:00.000Z');
      await storage.usage.insertMany([record]);
    });
    await withStorage(path, async (storage) => {
      assert.deepEqual(await storage.keys.list(), [{ ...key, revokedAt: '2025-02-01T00:00:00.000Z' }]);
      assert.deepEqual(await storage.usage.list({}), [record]);
    });
  });

  it('creates the file and its missing parent directories', async () => {
    const path = join(dir, 'missing', 'nested', 'switchboard.db');
    await withStorage(path, async (storage) => storage.ping());
    assert.ok(existsSync(path));
  });

  it('puts the file in WAL mode', async () => {
    const path = freshPath();
    await withStorage(path, async () => undefined);
    assert.equal(inspect(path, (db) => db.prepare('PRAGMA journal_mode').get()?.journal_mode), 'wal');
  });

  it('works on ":memory:" without touching the disk', async () => {
    await withStorage(':memory:', async (storage) => {
      await storage.keys.insert(makeApiKeyRecord());
      assert.equal(await storage.keys.count(), 1);
    });
    assert.equal(existsSync(':memory:'), false);
  });

  it('rejects bad options before opening anything', () => {
    assert.throws(() => createSqliteStorage({ path: '' }), TypeError);
    assert.throws(() => createSqliteStorage({ path: freshPath(), busyTimeoutMs: -1 }), TypeError);
    assert.throws(() => createSqliteStorage({ path: freshPath(), busyTimeoutMs: 1.5 }), TypeError);
  });

  it('reports a missing migration as a SQLite error rather than answering empty', async () => {
    const storage = createSqliteStorage({ path: freshPath() });
    try {
      await assert.rejects(storage.keys.count(), /no such table/);
      await storage.migrate();
      assert.equal(await storage.keys.count(), 0);
    } finally {
      await storage.close();
    }
  });
});

describe('insertMany transaction', () => {
  it('stores a batch\'s repeated id once (a journal delivery may repeat a record)', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const record = makeUsageRecord();
      await storage.usage.insertMany([record, makeUsageRecord(), { ...record }]);
    });
    assert.equal(countUsageRows(path), 2);
  });

  it('keeps a request and the one attempt that answered it, recorded back to back, in one row', async () => {
    const path = freshPath();
    const pairs = Array.from({ length: 150 }, () => {
      const request = makeUsageRecord();
      return [{ ...request, id: `${request.id}-a`, kind: 'attempt' as const, attempt: 1, retries: 0, fallbackChain: [] }, request];
    });
    const apart = makeUsageRecord({ kind: 'attempt', attempt: 2, retries: 1, fallbackChain: [] });
    await withStorage(path, async (storage) => {
      await storage.usage.insertMany([...pairs.flat(), apart]);
      assert.equal((await storage.usage.list({ limit: 1000 })).length, 301);
    });
    assert.equal(countUsageRows(path), 151);
  });

  it('writes nothing of a batch that fails part-way (after a first multi-row statement ran)', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const batch = Array.from({ length: 60 }, () => makeUsageRecord());
      batch[55] = { ...batch[55]!, startedAt: 'not a time' };
      await assert.rejects(storage.usage.insertMany(batch), RangeError);
    });
    assert.equal(countUsageRows(path), 0);
  });

  it('leaves no transaction open after a rollback, so the next batch commits', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const record = makeUsageRecord();
      await assert.rejects(storage.usage.insertMany([record, { ...record, startedAt: 'not a time' }]));
      await storage.usage.insertMany([record]);
    });
    assert.equal(countUsageRows(path), 1);
  });

  it('fails at once while another writer holds the lock, without waiting and without writing (the journal keeps the records)', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const other = new DatabaseSync(path);
      try {
        other.exec('BEGIN IMMEDIATE');
        const started = performance.now();
        await assert.rejects(storage.usage.insertMany([makeUsageRecord()]), /database is locked/);
        await assert.rejects(storage.audit.insertMany([makeAuditEvent()]), /database is locked/);
        // node:sqlite waits synchronously: any wait here would stop the whole event loop.
        assert.ok(performance.now() - started < 500, 'waited for the lock');
        other.exec('ROLLBACK');
        await storage.usage.insertMany([makeUsageRecord()]);
      } finally {
        other.close();
      }
    }, 2000);
    assert.equal(countUsageRows(path), 1);
  });
});

describe('stored responses', () => {
  const scope = { keyId: 'key-a', workspaceId: 'ws-a' };

  it('fail at once while another process holds the write lock, without waiting (puts are on the request path)', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const kept = makeStoredResponse();
      await storage.responses.put(kept);
      const other = new DatabaseSync(path);
      try {
        other.exec('BEGIN IMMEDIATE');
        const started = performance.now();
        await assert.rejects(storage.responses.put(makeStoredResponse()), /database is locked/);
        await assert.rejects(storage.responses.deleteExpired(kept.expiresAtMs), /database is locked/);
        await assert.rejects(storage.responses.delete(kept.id, scope), /database is locked/);
        // node:sqlite waits synchronously: any wait here would stop the whole event loop.
        assert.ok(performance.now() - started < 500, 'waited for the lock');
        assert.deepEqual(await storage.responses.get(kept.id, scope, RESPONSE_NOW_MS), kept, 'reads do not wait for the writer (WAL)');
        other.exec('ROLLBACK');
        assert.equal(await storage.responses.delete(kept.id, scope), true);
      } finally {
        other.close();
      }
    }, 2000);
  });

  it('are kept when the file is opened again', async () => {
    const path = freshPath();
    const turns = [makeStoredResponse()];
    turns.push(makeStoredResponse({ previousResponseId: turns[0]!.id }));
    await withStorage(path, async (storage) => {
      for (const turn of turns) await storage.responses.put(turn);
    });
    await withStorage(path, async (storage) => assert.deepEqual(await storage.responses.conversation(turns[1]!.id, scope, RESPONSE_NOW_MS, 10), turns));
  });
});

describe('config append across processes', () => {
  const version = (summary: string) => ({ author: 'test', createdAt: '2025-05-01T00:00:00.000Z', summary, content: { summary }, diff: [] });

  it('checks the head in the file, so a second process on the same file gets a conflict, not a duplicate', async () => {
    const path = freshPath();
    await withStorage(path, async (first) => {
      await withStorage(path, async (second) => {
        await first.config.append(version('first'), 0);
        await assert.rejects(second.config.append(version('second'), 0), (error: unknown) => error instanceof ConfigVersionConflict && error.head === 1);
        assert.equal((await second.config.append(version('second'), 1)).version, 2);
        assert.deepEqual((await first.config.list({})).map((summary) => summary.summary), ['second', 'first']);
      });
    });
  });

  it('waits busy_timeout for another writer, then fails without writing', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => {
      const other = new DatabaseSync(path);
      try {
        other.exec('BEGIN IMMEDIATE');
        await assert.rejects(storage.config.append(version('blocked'), 0), /database is locked/);
        other.exec('ROLLBACK');
        assert.equal(await storage.config.latestVersion(), 0);
        assert.equal((await storage.config.append(version('after'), 0)).version, 1);
      } finally {
        other.close();
      }
    }, 50);
  });

  it('keeps config versions when the file is opened again', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => storage.config.append(version('kept'), 0));
    await withStorage(path, async (storage) => assert.deepEqual(await storage.config.get(1), { ...version('kept'), version: 1 }));
  });
});

describe('reading config rows', () => {
  it('names the column when content is not a JSON object', async () => {
    const path = freshPath();
    await withStorage(path, async (storage) => storage.config.append({ author: 'a', createdAt: '2025-05-01T00:00:00.000Z', summary: 's', content: {}, diff: [] }, 0));
    inspect(path, (db) => db.prepare(`UPDATE config_versions SET content = '[1]', diff = '[1]'`).run());
    await withStorage(path, async (storage) => {
      await assert.rejects(storage.config.get(1), /column content holds \[1\], expected a JSON object/);
      assert.equal((await storage.config.list({})).length, 1, 'the list reads summaries only');
    });
  });
});

describe('migrations', () => {
  const versions = (db: DatabaseSync): number[] =>
    db.prepare('SELECT version FROM schema_migrations ORDER BY version').all().map((row) => Number(row.version));
  const allVersions = MIGRATIONS.map((_, index) => index + 1);

  it('applies each migration once and records it; a second run applies none', () => {
    const db = new DatabaseSync(':memory:');
    try {
      assert.equal(applyMigrations(db), MIGRATIONS.length);
      assert.equal(applyMigrations(db), 0);
      assert.deepEqual(versions(db), allVersions);
    } finally {
      db.close();
    }
  });

  it('keeps data and the version table unchanged when migrate() runs twice', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord();
    await withStorage(path, async (storage) => {
      await storage.keys.insert(key);
      await storage.migrate();
      await storage.migrate();
      assert.deepEqual(await storage.keys.list(), [key]);
    });
    assert.deepEqual(inspect(path, versions), allVersions);
  });

  it('upgrades a version-2 database: its keys read back never used, and touch works on them', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord();
    inspect(path, (db) => {
      applyMigrations(db, MIGRATIONS.slice(0, 2));
      db.prepare(`INSERT INTO api_keys (id, prefix, hash, name, role, models, created_at, created_at_ms, revoked_at)
        VALUES (?, ?, ?, ?, ?, NULL, ?, ?, NULL)`).run(key.id, key.prefix, key.hash, key.name, key.role, key.createdAt, Date.parse(key.createdAt));
    });
    await withStorage(path, async (storage) => {
      assert.deepEqual(await storage.keys.get(key.id), { ...key, lastUsedAt: null });
      await storage.keys.touch([{ id: key.id, at: '2025-03-01T00:00:00.000Z' }]);
      assert.equal((await storage.keys.get(key.id))?.lastUsedAt, '2025-03-01T00:00:00.000Z');
    });
    assert.deepEqual(inspect(path, versions), allVersions);
  });

  it('upgrades a version-5 database: its experiment records aggregate, and feedback can be given on them', async () => {
    const path = freshPath();
    const record = makeUsageRecord({ experimentId: 'exp-1', variant: 'a', latencyMs: 2.5 });
    inspect(path, (db) => {
      applyMigrations(db, MIGRATIONS.slice(0, 5));
      const values: SqlValue[] = [];
      pushUsageValues(record, values);
      // The columns that schema has: the ones added later are at the end of USAGE_COLUMNS.
      const old = USAGE_COLUMNS.slice(0, USAGE_COLUMNS.indexOf('reasoning_tokens'));
      db.prepare(`INSERT INTO usage_records (${old.join(', ')}) VALUES (${old.map(() => '?').join(', ')})`).run(...values.slice(0, old.length));
    });
    await withStorage(path, async (storage) => {
      assert.deepEqual((await storage.usage.variantStats('exp-1')).map((s) => [s.variant, s.requests, s.latencySum, s.feedbackCount]), [['a', 1, 2.5, 0]]);
      await storage.usage.putFeedback({ experimentId: 'exp-1', requestId: record.requestId, score: 1, comment: null, at: '2025-03-01T00:00:00.000Z' });
      assert.equal((await storage.usage.variantStats('exp-1'))[0]?.feedbackSum, 1);
    });
    assert.deepEqual(inspect(path, versions), allVersions);
  });

  it('upgrades a database of the version before stored responses: its data stays, and responses can be stored', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord();
    const record = makeUsageRecord();
    const before = MIGRATIONS.findIndex((sql) => sql.includes('CREATE TABLE responses'));
    assert.ok(before > 0);
    await withStorage(path, async (storage) => {
      await storage.keys.insert(key);
      await storage.usage.insertMany([record]);
    });
    // Back to that version: as a Switchboard from before this migration left the file.
    inspect(path, (db) => db.exec(`DROP TABLE responses; DELETE FROM schema_migrations WHERE version > ${before}`));
    await withStorage(path, async (storage) => {
      assert.deepEqual(await storage.keys.get(key.id), key);
      assert.deepEqual(await storage.usage.list({}), [record]);
      const response = makeStoredResponse();
      await storage.responses.put(response);
      assert.deepEqual(await storage.responses.get(response.id, { keyId: response.keyId, workspaceId: response.workspaceId }, RESPONSE_NOW_MS), response);
    });
    assert.deepEqual(inspect(path, versions), allVersions);
  });

  it('applies only the missing migrations, in order', () => {
    const db = new DatabaseSync(':memory:');
    try {
      applyMigrations(db);
      const next = [...MIGRATIONS, 'CREATE TABLE extra_a (id TEXT)', 'CREATE TABLE extra_b (a_id TEXT)'];
      assert.equal(applyMigrations(db, next), 2);
      assert.deepEqual(versions(db), next.map((_, index) => index + 1));
    } finally {
      db.close();
    }
  });

  it('rolls every pending step back when one fails', () => {
    const db = new DatabaseSync(':memory:');
    try {
      applyMigrations(db);
      assert.throws(() => applyMigrations(db, [...MIGRATIONS, 'CREATE TABLE extra (id TEXT)', 'CREATE TABLE broken (']));
      assert.deepEqual(versions(db), allVersions);
      assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get(), undefined);
      assert.equal(db.isTransaction, false);
    } finally {
      db.close();
    }
  });

  it('refuses a database migrated by a newer Switchboard', () => {
    const db = new DatabaseSync(':memory:');
    try {
      applyMigrations(db, [...MIGRATIONS, 'CREATE TABLE future (id TEXT)']);
      assert.throws(() => applyMigrations(db), /newer than this Switchboard knows/);
    } finally {
      db.close();
    }
  });
});

describe('reading rows', () => {
  it('names the column when a stored value is not one the record type allows', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord();
    await withStorage(path, async (storage) => storage.keys.insert(key));
    inspect(path, (db) => db.prepare("UPDATE api_keys SET role = 'root'").run());
    await withStorage(path, async (storage) => {
      await assert.rejects(storage.keys.get(key.id), /column role holds "root", expected admin \| operator \| member \| viewer/);
    });
  });

  it('rejects a models column that is not a JSON list of names', async () => {
    const path = freshPath();
    const key = makeApiKeyRecord();
    await withStorage(path, async (storage) => storage.keys.insert(key));
    inspect(path, (db) => db.prepare(`UPDATE api_keys SET models = '{"a":1}'`).run());
    await withStorage(path, async (storage) => {
      await assert.rejects(storage.keys.findByPrefix(key.prefix), /column models/);
    });
  });
});
