import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import { testDataDir } from '../../test/support/test-data-dir.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { UsageQuery, UsageStore, VariantStats } from '../storage/ports.ts';
import { Journal } from './journal/journal.ts';
import { JournaledRecorder } from './journaled-recorder.ts';

/** A store that can fail; it keeps what it accepted, once per id, as the real ones do. */
class FlakyStore implements UsageStore {
  readonly byId = new Map<string, UsageRecord>();
  calls = 0;
  failing = false;

  async insertMany(records: readonly UsageRecord[]): Promise<void> {
    this.calls++;
    if (this.failing) throw new Error('database is locked');
    for (const r of records) if (!this.byId.has(r.id)) this.byId.set(r.id, r);
  }

  async list(_query: UsageQuery): Promise<UsageRecord[]> {
    return [...this.byId.values()];
  }

  async variantStats(): Promise<VariantStats[]> {
    return [];
  }

  async putFeedback(): Promise<void> {}
}

const logger = pino({ level: 'silent' });
const settings = { flushIntervalMs: 60_000, batchSize: 50 };

async function recorder(dir: string, store: UsageStore, maxBuffered = 1_000, maxBytes?: number) {
  const journal = await Journal.open({ dir, ...(maxBytes === undefined ? {} : { maxBytes, segmentBytes: 64 * 1024 }) });
  const counts = { dropped: 0, failed: 0 };
  const writer = new JournaledRecorder({
    store, journal, logger, ...settings, maxBuffered,
    gauges: { queueDepth: () => undefined, dropped: (n) => { counts.dropped += n; }, writeFailed: () => { counts.failed++; } },
  });
  return { writer, journal, counts };
}

describe('JournaledRecorder', () => {
  it('writes every record to the store once, from memory, and lets the journal drop what the store has', async () => {
    const store = new FlakyStore();
    const { writer, journal } = await recorder(testDataDir(), store);
    const records = Array.from({ length: 120 }, () => makeUsageRecord());
    for (const r of records) writer.record(r);
    await writer.flush();
    assert.equal(store.byId.size, 120);
    assert.deepEqual([...store.byId.keys()], records.map((r) => r.id), 'in order');
    assert.equal(writer.pending, 0);
    assert.equal(journal.stats.backlog, 0);
    await writer.close();
  });

  it('keeps records through a store outage longer than memory holds, and writes them all once it is back', async () => {
    const store = new FlakyStore();
    const { writer, counts } = await recorder(testDataDir(), store, 10);
    store.failing = true;
    const records = Array.from({ length: 300 }, () => makeUsageRecord());
    for (const r of records) writer.record(r);
    await writer.flush();
    assert.equal(store.byId.size, 0);
    assert.ok(counts.failed > 0);
    assert.equal(writer.pending, 300, 'all waiting, though memory holds 10');
    store.failing = false;
    await writer.flush();
    assert.equal(store.byId.size, 300);
    assert.deepEqual([...store.byId.keys()], records.map((r) => r.id));
    assert.equal(counts.dropped, 0);
    await writer.close();
  });

  it('delivers on the next start what an earlier process journalled and the store never got', async () => {
    const dir = testDataDir();
    const down = new FlakyStore();
    down.failing = true;
    const first = await recorder(dir, down);
    const records = Array.from({ length: 75 }, () => makeUsageRecord());
    for (const r of records) first.writer.record(r);
    await first.writer.close();
    const store = new FlakyStore();
    const second = await recorder(dir, store);
    await second.writer.flush();
    assert.deepEqual([...store.byId.keys()], records.map((r) => r.id));
    const [one] = store.byId.values();
    assert.deepEqual(one, records[0], 'every field as it was recorded');
    await second.writer.close();
  });

  it('counts the records it cannot journal when the journal is full', async () => {
    const store = new FlakyStore();
    store.failing = true;
    const { writer, counts } = await recorder(testDataDir(), store, 1_000, 1024 * 1024);
    for (let i = 0; i < 5_000; i++) writer.record(makeUsageRecord());
    assert.ok(counts.dropped > 0, `${counts.dropped} dropped`);
    store.failing = false;
    await writer.flush();
    assert.equal(store.byId.size + counts.dropped, 5_000, 'every record either stored or counted');
    await writer.close();
  });
});
