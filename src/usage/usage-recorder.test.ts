import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import pino from 'pino';
import type { Counter, Gauge } from 'prom-client';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import type { UsageQuery, UsageStore, VariantStats } from '../storage/ports.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import { UsageRecorder, type UsageRecorderOptions } from './usage-recorder.ts';

/**
 * A usage store the test steers: it can fail, or hold a write open until the test releases it.
 * It keeps every batch it was asked to write and every record it accepted.
 */
class FakeUsageStore implements UsageStore {
  readonly written: UsageRecord[] = [];
  readonly batches: number[] = [];
  failing = false;
  #held: Array<() => void> | undefined;

  async insertMany(records: readonly UsageRecord[]): Promise<void> {
    this.batches.push(records.length);
    const copy = [...records];
    if (this.#held !== undefined) await new Promise<void>((resolve) => this.#held?.push(resolve));
    if (this.failing) throw new Error('database is locked');
    this.written.push(...copy);
  }

  async list(_query: UsageQuery): Promise<UsageRecord[]> {
    return [...this.written];
  }

  async variantStats(): Promise<VariantStats[]> {
    return [];
  }

  async putFeedback(): Promise<void> {}

  /** Writes wait until release() from now on. */
  hold(): void {
    this.#held = [];
  }

  release(): void {
    const waiting = this.#held ?? [];
    this.#held = undefined;
    for (const resolve of waiting) resolve();
  }
}

async function value(metric: Counter | Gauge): Promise<number> {
  return (await metric.get()).values[0]?.value ?? 0;
}

/** Lets pending setImmediate callbacks and the promise chains they start run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

const recorders: UsageRecorder[] = [];

function recorder(store: UsageStore, options: Partial<UsageRecorderOptions> = {}): { usage: UsageRecorder; metrics: GatewayMetrics } {
  const metrics = new GatewayMetrics();
  const usage = new UsageRecorder({
    store, gauges: metrics, logger: pino({ level: 'silent' }), flushIntervalMs: 60_000, batchSize: 100, maxBuffered: 1000, ...options,
  });
  recorders.push(usage);
  return { usage, metrics };
}

function records(n: number): UsageRecord[] {
  return Array.from({ length: n }, (_, i) => makeUsageRecord({ requestId: `req-${i}` }));
}

afterEach(async () => {
  mock.timers.reset();
  // Stop every recorder's timer; failing stores are made healthy so close() cannot leave work behind.
  for (const usage of recorders.splice(0)) await usage.close();
});

describe('UsageRecorder', () => {
  it('keeps records in memory until something flushes them', async () => {
    const store = new FakeUsageStore();
    const { usage, metrics } = recorder(store);
    for (const r of records(3)) usage.record(r);
    await settle();
    assert.equal(usage.pending, 3);
    assert.deepEqual(store.batches, []);
    assert.equal(await value(metrics.usageQueue), 3);
  });

  it('writes a batch as soon as batchSize records are waiting', async () => {
    const store = new FakeUsageStore();
    const { usage, metrics } = recorder(store, { batchSize: 4 });
    const all = records(4);
    for (const r of all.slice(0, 3)) usage.record(r);
    await settle();
    assert.deepEqual(store.batches, [], 'not before the batch is full');
    usage.record(all[3]!);
    await settle();
    assert.deepEqual(store.batches, [4]);
    assert.deepEqual(store.written, all);
    assert.equal(usage.pending, 0);
    assert.equal(await value(metrics.usageQueue), 0);
  });

  it('writes what is waiting every flushIntervalMs', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const store = new FakeUsageStore();
    const { usage } = recorder(store, { flushIntervalMs: 1000 });
    const all = records(2);
    for (const r of all) usage.record(r);
    mock.timers.tick(999);
    await settle();
    assert.deepEqual(store.batches, []);
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(store.written, all);

    const later = makeUsageRecord();
    usage.record(later);
    mock.timers.tick(1000);
    await settle();
    assert.deepEqual(store.written, [...all, later]);
    assert.deepEqual(store.batches, [2, 1]);
  });

  it('does not call the store on an interval with nothing to write', async () => {
    mock.timers.enable({ apis: ['setInterval'] });
    const store = new FakeUsageStore();
    recorder(store, { flushIntervalMs: 100 });
    mock.timers.tick(1000);
    await settle();
    assert.deepEqual(store.batches, []);
  });

  it('flush() writes everything, in batches of at most batchSize, oldest first', async () => {
    const store = new FakeUsageStore();
    const { usage } = recorder(store, { batchSize: 100 });
    const all = records(250);
    // record() schedules a write once 100 are waiting; flush() at once takes them all.
    for (const r of all) usage.record(r);
    await usage.flush();
    assert.equal(usage.pending, 0);
    assert.deepEqual(store.written, all);
    assert.ok(store.batches.every((n) => n <= 100), String(store.batches));
    await settle();
    assert.equal(store.written.length, 250, 'the scheduled writes found nothing left to write twice');
  });

  it('lets other work run between batches when the store writes synchronously', async () => {
    // SQLite writes a whole batch inside one call; without a turn of the event loop between batches, a long
    // backlog would hold every request until the last batch is written.
    const events: string[] = [];
    const store: UsageStore = {
      insertMany: (batch) => { events.push(`batch:${batch.length}`); return Promise.resolve(); },
      list: () => Promise.resolve([]),
      variantStats: () => Promise.resolve([]),
      putFeedback: () => Promise.resolve(),
    };
    const { usage } = recorder(store, { batchSize: 2 });
    for (const r of records(6)) usage.record(r);
    let ticks = 0;
    const tick = (): void => { events.push('tick'); if (++ticks < 20) setImmediate(tick); };
    setImmediate(tick);
    await usage.flush();
    const batches = events.map((e, i) => (e.startsWith('batch') ? i : -1)).filter((i) => i >= 0);
    assert.equal(batches.length, 3, events.join(' '));
    for (let b = 1; b < batches.length; b++) {
      assert.ok(events.slice(batches[b - 1], batches[b]).includes('tick'), `no turn between batches: ${events.join(' ')}`);
    }
  });

  it('shares one write between concurrent flush() calls', async () => {
    const store = new FakeUsageStore();
    const { usage } = recorder(store);
    const all = records(3);
    for (const r of all) usage.record(r);
    store.hold();
    const first = usage.flush();
    const second = usage.flush();
    await settle();
    assert.deepEqual(store.batches, [3]);
    store.release();
    await Promise.all([first, second]);
    assert.deepEqual(store.batches, [3]);
    assert.deepEqual(store.written, all);
  });

  it('writes records that arrive during a write in the same flush', async () => {
    const store = new FakeUsageStore();
    const { usage } = recorder(store);
    const [a, b] = records(2);
    usage.record(a!);
    store.hold();
    const flushing = usage.flush();
    await settle();
    usage.record(b!);
    store.release();
    await flushing;
    assert.deepEqual(store.written, [a, b]);
    assert.equal(usage.pending, 0);
  });

  describe('when the store fails', () => {
    it('keeps the records, counts the error and writes them on the next flush', async () => {
      const store = new FakeUsageStore();
      const { usage, metrics } = recorder(store);
      const all = records(3);
      for (const r of all) usage.record(r);
      store.failing = true;
      await usage.flush();
      assert.equal(usage.pending, 3);
      assert.equal(await value(metrics.usageWriteErrors), 1);
      assert.equal(await value(metrics.usageQueue), 3);

      await usage.flush();
      assert.equal(await value(metrics.usageWriteErrors), 2);
      assert.equal(usage.pending, 3);

      store.failing = false;
      const more = makeUsageRecord();
      usage.record(more);
      await usage.flush();
      assert.deepEqual(store.written, [...all, more], 'nothing lost, order kept');
      assert.equal(usage.pending, 0);
      assert.equal(await value(metrics.usageQueue), 0);
      assert.equal(await value(metrics.usageDropped), 0);
    });

    it('keeps the batches written before the failing one', async () => {
      const store = new FakeUsageStore();
      const { usage } = recorder(store, { batchSize: 2 });
      store.hold();
      const all = records(5);
      for (const r of all) usage.record(r);
      // The first batch is in flight; the store breaks before the second.
      await settle();
      store.release();
      await settle();
      store.failing = true;
      await usage.flush();
      assert.ok(store.written.length >= 2);
      assert.equal(usage.pending, 5 - store.written.length);
      store.failing = false;
      await usage.flush();
      assert.deepEqual(store.written, all);
    });

    it('retries on the interval', async () => {
      mock.timers.enable({ apis: ['setInterval'] });
      const store = new FakeUsageStore();
      const { usage, metrics } = recorder(store, { flushIntervalMs: 500 });
      const all = records(2);
      for (const r of all) usage.record(r);
      store.failing = true;
      mock.timers.tick(500);
      await settle();
      assert.equal(await value(metrics.usageWriteErrors), 1);
      store.failing = false;
      mock.timers.tick(500);
      await settle();
      assert.deepEqual(store.written, all);
    });

    it('does not try again for every new record while the buffer is over batchSize', async () => {
      mock.timers.enable({ apis: ['setInterval'] });
      const store = new FakeUsageStore();
      const { usage, metrics } = recorder(store, { batchSize: 2, flushIntervalMs: 1000 });
      store.failing = true;
      store.hold();
      for (const r of records(2)) usage.record(r);
      await settle();
      assert.deepEqual(store.batches, [2], 'the full batch is being written');
      for (const r of records(20)) usage.record(r);
      store.release();
      await settle(20);
      assert.equal(await value(metrics.usageWriteErrors), 1, 'one failed write, not one per record');
      store.failing = false;
      mock.timers.tick(1000);
      await settle(20);
      assert.equal(store.written.length, 22);
      assert.equal(usage.pending, 0);
    });

    it('drops the oldest records beyond maxBuffered and counts them', async () => {
      const store = new FakeUsageStore();
      store.failing = true;
      const { usage, metrics } = recorder(store, { maxBuffered: 5, batchSize: 100 });
      const all = records(8);
      for (const r of all) usage.record(r);
      assert.equal(usage.pending, 5);
      assert.equal(await value(metrics.usageDropped), 3);
      assert.equal(await value(metrics.usageQueue), 5);
      store.failing = false;
      await usage.flush();
      assert.deepEqual(store.written, all.slice(3), 'the newest five survive');
    });

    it('keeps the records that were not written when some are dropped during a write', async () => {
      const store = new FakeUsageStore();
      const { usage, metrics } = recorder(store, { maxBuffered: 3, batchSize: 2 });
      const [r1, r2, r3, r4] = records(4);
      store.hold();
      usage.record(r1!);
      usage.record(r2!);
      await settle();
      assert.deepEqual(store.batches, [2], 'r1 and r2 are being written');
      usage.record(r3!);
      usage.record(r4!);
      assert.equal(await value(metrics.usageDropped), 1, 'r1 pushed out of the buffer');
      store.release();
      await usage.flush();
      assert.deepEqual(store.written, [r1, r2, r3, r4], 'r3 and r4 are written after the batch that held r1 and r2');
      assert.equal(usage.pending, 0);
    });
  });

  describe('close()', () => {
    it('writes what is left and stops the timer', async () => {
      mock.timers.enable({ apis: ['setInterval'] });
      const store = new FakeUsageStore();
      const { usage } = recorder(store, { flushIntervalMs: 100 });
      const all = records(3);
      for (const r of all) usage.record(r);
      await usage.close();
      assert.deepEqual(store.written, all);
      assert.equal(usage.pending, 0);

      usage.record(makeUsageRecord());
      mock.timers.tick(1000);
      await settle();
      assert.equal(store.written.length, 3, 'no timer flush after close');
      assert.equal(usage.pending, 1);
    });

    it('waits for a write already in flight', async () => {
      const store = new FakeUsageStore();
      const { usage } = recorder(store);
      const all = records(2);
      for (const r of all) usage.record(r);
      store.hold();
      const flushing = usage.flush();
      await settle();
      let closed = false;
      const closing = usage.close().then(() => { closed = true; });
      await settle();
      assert.equal(closed, false);
      store.release();
      await Promise.all([flushing, closing]);
      assert.deepEqual(store.written, all);
    });

    it('does not throw when the store still fails; the records stay pending', async () => {
      const store = new FakeUsageStore();
      store.failing = true;
      const { usage, metrics } = recorder(store);
      usage.record(makeUsageRecord());
      await usage.close();
      assert.equal(usage.pending, 1);
      assert.equal(await value(metrics.usageWriteErrors), 1);
    });
  });
});
