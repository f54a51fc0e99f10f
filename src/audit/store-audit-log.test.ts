import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import pino from 'pino';
import { makeAuditEvent } from '../../test/support/audit-event-factory.ts';
import { until } from '../../test/support/until.ts';
import type { AuditEvent } from '../domain/audit-event.ts';
import { createSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import type { Storage } from '../storage/ports.ts';
import { StoreAuditLog, type StoreAuditLogOptions } from './store-audit-log.ts';

interface Harness {
  readonly log: StoreAuditLog;
  readonly storage: Storage;
  readonly lines: Array<Record<string, unknown>>;
  readonly stored: () => Promise<string[]>;
}

const open: Array<{ log: StoreAuditLog; storage: Storage }> = [];
afterEach(async () => {
  for (const { log, storage } of open.splice(0)) {
    await log.close();
    await storage.close();
  }
});

/**
 * A log over a real SQLite store. `migrated: false` leaves the store without its tables, so every write fails
 * for real ("no such table") until the test runs migrate().
 */
async function harness(options: Partial<StoreAuditLogOptions> & { migrated?: boolean } = {}): Promise<Harness> {
  const storage = createSqliteStorage({ path: ':memory:' });
  if (options.migrated !== false) await storage.migrate();
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  const log = new StoreAuditLog({ store: storage.audit, logger, flushIntervalMs: 60_000, batchSize: 100, maxBuffered: 1000, ...options });
  open.push({ log, storage });
  // Oldest first, as they were recorded.
  const stored = async () => (await storage.audit.list({ limit: 1000 })).map((e) => e.id).reverse();
  return { log, storage, lines, stored };
}

function events(n: number): AuditEvent[] {
  return Array.from({ length: n }, (_, i) => makeAuditEvent({ at: new Date(Date.parse('2025-01-01T00:00:00Z') + i).toISOString() }));
}

const ids = (list: readonly AuditEvent[]) => list.map((e) => e.id);

describe('StoreAuditLog', () => {
  it('takes events without writing them, and flush() writes them all in order', async () => {
    const { log, stored } = await harness();
    const batch = events(5);
    for (const event of batch) log.record(event);
    assert.equal(log.pending, 5);
    assert.deepEqual(await stored(), []);
    await log.flush();
    assert.equal(log.pending, 0);
    assert.deepEqual(await stored(), ids(batch));
  });

  it('writes on its interval without being asked', async () => {
    const { log, stored } = await harness({ flushIntervalMs: 20 });
    const batch = events(3);
    for (const event of batch) log.record(event);
    await until(async () => (await stored()).length === 3, 'the timer to write the events');
    assert.deepEqual(await stored(), ids(batch));
  });

  it('writes a full batch at once rather than at the next tick', async () => {
    const { log, stored } = await harness({ batchSize: 2 });
    const batch = events(2);
    for (const event of batch) log.record(event);
    await until(async () => (await stored()).length === 2, 'the full batch to be written');
  });

  it('keeps the events of a failed write, in order ahead of newer ones, logs once, and writes them when the store works again', async () => {
    const { log, storage, lines, stored } = await harness({ migrated: false, batchSize: 2 });
    const [a, b, c] = events(3);
    log.record(a!);
    log.record(b!);
    await log.flush();
    log.record(c!);
    await log.flush();
    assert.equal(log.pending, 3);
    const failures = lines.filter((l) => l.msg === 'audit write failed; events kept and tried again');
    assert.equal(failures.length, 1, 'one error line for the run of failures');
    assert.equal(failures[0]?.level, 50);
    await storage.migrate();
    await log.flush();
    assert.equal(log.pending, 0);
    assert.deepEqual(await stored(), ids([a!, b!, c!]));
    assert.equal(lines.filter((l) => l.msg === 'audit writes succeed again').length, 1);
    assert.equal(log.dropped, 0);
  });

  it('drops the oldest past maxBuffered while the store fails, counts them and says so once per flush', async () => {
    const { log, storage, lines, stored } = await harness({ migrated: false, maxBuffered: 3 });
    const batch = events(5);
    for (const event of batch) log.record(event);
    assert.equal(log.pending, 3);
    assert.equal(log.dropped, 2);
    await log.flush();
    await log.flush();
    const warnings = lines.filter((l) => l.level === 40);
    assert.equal(warnings.length, 1);
    assert.deepEqual([warnings[0]?.dropped, warnings[0]?.droppedTotal, warnings[0]?.maxBuffered], [2, 2, 3]);
    await storage.migrate();
    await log.flush();
    assert.deepEqual(await stored(), ids(batch.slice(2)));
  });

  it('bounds what a failed write puts back, dropping the oldest first', async () => {
    const { log, storage, stored } = await harness({ migrated: false, maxBuffered: 2, batchSize: 2 });
    const batch = events(4);
    log.record(batch[0]!);
    log.record(batch[1]!);
    const failing = log.flush();
    // Arrive while the failing write is out: the batch goes back ahead of them, and the bound keeps the newest.
    log.record(batch[2]!);
    log.record(batch[3]!);
    await failing;
    assert.equal(log.pending, 2);
    assert.equal(log.dropped, 2);
    await storage.migrate();
    await log.flush();
    assert.deepEqual(await stored(), ids(batch.slice(2)));
  });

  it('writes what is left on close() and stops its timer', async () => {
    const { log, stored } = await harness({ flushIntervalMs: 10 });
    const batch = events(2);
    for (const event of batch) log.record(event);
    await log.close();
    assert.deepEqual(await stored(), ids(batch));
  });

  it('refuses settings that are not whole numbers of at least 1', async () => {
    const storage = createSqliteStorage({ path: ':memory:' });
    const base = { store: storage.audit, logger: pino({ level: 'silent' }), flushIntervalMs: 1000, batchSize: 10, maxBuffered: 100 };
    for (const bad of [{ batchSize: 0 }, { maxBuffered: 1.5 }, { flushIntervalMs: -1 }]) {
      assert.throws(() => new StoreAuditLog({ ...base, ...bad }), RangeError, JSON.stringify(bad));
    }
    await storage.close();
  });
});
