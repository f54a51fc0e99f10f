/**
 * PostgreSQL-only behaviour against the machine's real server: bounded waits, schema isolation, and changes seen
 * across Storage instances (replicas) through LISTEN/NOTIFY. The port's semantics are covered by
 * test/contract/storage.contract.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeApiKeyRecord } from '../../../test/support/api-key-record-factory.ts';
import { postgresTestFixture, TEST_POSTGRES_URL } from '../../../test/support/postgres-schemas.ts';
import { until } from '../../../test/support/until.ts';
import type { NewConfigVersion, Storage, StorageChange } from '../ports.ts';
import { CHANGE_CHANNEL } from './change-notice.ts';
import { createPostgresStorage, type PostgresStorageOptions } from './postgres-storage.ts';

const { schemas, admin, closeAfter } = postgresTestFixture();

/** A storage closed when the file ends (close is idempotent, so tests may close it earlier). */
function open(options: Partial<PostgresStorageOptions> = {}): Storage {
  const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, ...options });
  closeAfter(() => storage.close());
  return storage;
}

function version(n: number): NewConfigVersion {
  return { author: 'test', createdAt: '2025-05-01T00:00:00.000Z', summary: `change ${n}`, content: { n }, diff: [] };
}

/** Elapsed milliseconds of `work`, which must reject. */
async function rejectionTime(work: Promise<unknown>): Promise<number> {
  const started = performance.now();
  await assert.rejects(work);
  return performance.now() - started;
}

/** The backend pid of the LISTEN connection of the storage opened with `applicationName`, once it listens. */
async function listenerPid(applicationName: string, not?: number): Promise<number> {
  let pid: number | undefined;
  await until(async () => {
    const { rows } = await admin.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%' AND state = 'idle' AND pid <> $2",
      [applicationName, not ?? 0],
    );
    pid = rows[0]?.pid;
    return pid !== undefined;
  }, `a LISTEN connection of ${applicationName}`);
  return pid!;
}

const uniqueName = (): string => `sb_test_${randomBytes(4).toString('hex')}`;

describe('createPostgresStorage options', () => {
  it('rejects bad options before connecting', () => {
    const bad: Partial<PostgresStorageOptions>[] = [
      { connectionString: '' }, { schema: 'Mixed' }, { schema: 'has-dash' }, { schema: '1st' }, { schema: 'x'.repeat(64) },
      { schema: 'a; DROP TABLE api_keys' }, { poolSize: 0 }, { poolSize: 1.5 }, { statementTimeoutMs: 0 }, { connectTimeoutMs: -1 },
      { applicationName: '' },
    ];
    for (const options of bad) {
      assert.throws(() => createPostgresStorage({ connectionString: TEST_POSTGRES_URL, ...options }), TypeError, JSON.stringify(options));
    }
  });

  it('opens no connection until first used', async () => {
    const applicationName = uniqueName();
    const storage = open({ applicationName, schema: schemas.fresh() });
    const { rowCount } = await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    assert.equal(rowCount, 0);
    await storage.close();
  });
});

describe('bounded waits', () => {
  it('rejects ping and reads at once when nothing listens on the port', async () => {
    const storage = open({ connectionString: 'postgres://postgres@127.0.0.1:1/test', connectTimeoutMs: 500 });
    assert.ok(await rejectionTime(storage.ping()) < 1500);
    assert.ok(await rejectionTime(storage.keys.get('any')) < 1500);
    await storage.close();
  });

  describe('against a server that accepts connections and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    before(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    const url = (): string => `postgres://postgres@127.0.0.1:${(server.address() as { port: number }).port}/test`;

    it('rejects ping, reads and migrate within connectTimeoutMs', async () => {
      const storage = open({ connectionString: url(), connectTimeoutMs: 200 });
      for (const work of [() => storage.ping(), () => storage.config.latestVersion(), () => storage.migrate()]) {
        const elapsed = await rejectionTime(work());
        assert.ok(elapsed >= 150 && elapsed < 1500, `rejected after ${elapsed.toFixed(0)} ms`);
      }
      await storage.close();
    });

    it('keeps a subscriber quiet and the process up while the LISTEN connection cannot be made', async () => {
      const storage = open({ connectionString: url(), connectTimeoutMs: 100 });
      const changes: StorageChange[] = [];
      storage.subscribe((change) => changes.push(change));
      await sleep(300); // the first attempt times out and a retry is scheduled, without an unhandled error
      await storage.close();
      assert.deepEqual(changes, []);
    });
  });

  it('ends a statement that waits longer than statementTimeoutMs', async () => {
    const schema = schemas.fresh();
    const storage = open({ schema, statementTimeoutMs: 200 });
    await storage.migrate();
    const holder = await admin.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE ${schema}.config_versions IN ACCESS EXCLUSIVE MODE`);
      const elapsed = await rejectionTime(storage.config.latestVersion());
      assert.ok(elapsed >= 150 && elapsed < 2000, `rejected after ${elapsed.toFixed(0)} ms`);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    assert.equal(await storage.config.latestVersion(), 0, 'the pool works again once the lock is gone');
  });
});

describe('schemas', () => {
  it('keep deployments in one database apart', async () => {
    const [a, b] = [open({ schema: schemas.fresh() }), open({ schema: schemas.fresh() })];
    await Promise.all([a.migrate(), b.migrate()]);
    const key = makeApiKeyRecord();
    await a.keys.insert(key);
    await a.config.append(version(1), 0);
    assert.equal(await b.keys.get(key.id), undefined);
    assert.equal(await b.config.latestVersion(), 0);
    await b.keys.insert({ ...key });
    assert.deepEqual(await b.keys.list(), [key], 'the same id is free in another schema');
  });
});

describe('config append across instances (replicas)', () => {
  it('lets exactly one of two replicas appending on the same head win; the other gets the new head', async () => {
    const schema = schemas.fresh();
    const [a, b] = [open({ schema }), open({ schema })];
    await a.migrate();
    for (let head = 0; head < 5; head++) {
      const results = await Promise.allSettled([a.config.append(version(head), head), b.config.append(version(head), head)]);
      const winners = results.filter((result) => result.status === 'fulfilled');
      assert.equal(winners.length, 1, `round ${head}: ${results.map((result) => result.status).join(', ')}`);
      const loser = results.find((result) => result.status === 'rejected');
      assert.equal((loser?.reason as { head?: number }).head, head + 1);
    }
    assert.deepEqual((await b.config.list({})).map((summary) => summary.version), [5, 4, 3, 2, 1]);
  });
});

describe('subscribe across instances (replicas)', () => {
  const schema = schemas.fresh();
  const applicationName = uniqueName();
  let listening: Storage;
  let writer: Storage;
  const changes: StorageChange[] = [];
  let pid: number;
  before(async () => {
    listening = open({ schema, applicationName });
    writer = open({ schema });
    await listening.migrate();
    listening.subscribe((change) => changes.push(change));
    pid = await listenerPid(applicationName);
  });

  it('delivers config appends and key revocations written by another instance', async () => {
    changes.length = 0;
    const key = makeApiKeyRecord();
    await writer.keys.insert(key);
    const head = await writer.config.latestVersion();
    await writer.config.append(version(1), head);
    await writer.keys.revoke(key.id, '2025-05-01T00:00:00.000Z');
    await writer.keys.revoke('no-such-key', '2025-05-01T00:00:00.000Z');
    await until(() => changes.length >= 2, 'two changes');
    await sleep(50);
    assert.deepEqual(changes, [{ kind: 'config', version: head + 1 }, { kind: 'key', id: key.id }]);
  });

  it('delivers its own writes once, not again when their notification comes back', async () => {
    changes.length = 0;
    const head = await listening.config.latestVersion();
    await listening.config.append(version(2), head);
    assert.deepEqual(changes, [{ kind: 'config', version: head + 1 }], 'told before append resolves');
    await writer.config.append(version(3), head + 1); // arrives after the echo would have
    await until(() => changes.length >= 2, 'the other instance\'s change');
    assert.deepEqual(changes, [{ kind: 'config', version: head + 1 }, { kind: 'config', version: head + 2 }]);
  });

  it('ignores changes in another schema and payloads that are not its own kind', async () => {
    changes.length = 0;
    const other = open({ schema: schemas.fresh() });
    await other.migrate();
    await other.config.append(version(1), 0);
    for (const payload of ['not json', '[]', '{"schema":"x"}', JSON.stringify({ schema, source: 'someone', kind: 'config', version: 'one' })]) {
      await admin.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, payload]);
    }
    await admin.query('SELECT pg_notify($1, $2)', [CHANGE_CHANNEL, JSON.stringify({ schema, source: 'someone', kind: 'key', id: 'k1' })]);
    await until(() => changes.length >= 1, 'the well-formed notification');
    await sleep(50);
    assert.deepEqual(changes, [{ kind: 'key', id: 'k1' }]);
  });

  it('reconnects after its LISTEN connection is terminated, and delivers again', async () => {
    changes.length = 0;
    const { rows } = await admin.query('SELECT pg_terminate_backend($1) AS done', [pid]);
    assert.equal(rows[0].done, true);
    pid = await listenerPid(applicationName, pid);
    const head = await writer.config.latestVersion();
    await writer.config.append(version(4), head);
    await until(() => changes.length >= 1, 'a change after the reconnect');
    assert.deepEqual(changes, [{ kind: 'config', version: head + 1 }]);
  });

  it('ends its LISTEN connection on close', async () => {
    await listening.close();
    await until(async () => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [applicationName])).rowCount === 0,
      'no connection of the closed storage');
  });
});
