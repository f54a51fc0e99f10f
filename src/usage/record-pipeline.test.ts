import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeAuditEvent } from '../../test/support/audit-event-factory.ts';
import { testDataDir } from '../../test/support/test-data-dir.ts';
import { until } from '../../test/support/until.ts';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import { createSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import { encodeFrame } from './journal/journal-frame.ts';
import { Journal } from './journal/journal.ts';
import { decodeRecord } from './record-encoding.ts';
import { RecordPipeline, type RecordPipelineOptions } from './record-pipeline.ts';
import type { DeliveryOptions, RecordSink, SinkRecord } from './sinks/record-sink.ts';
import { StoreSink } from './sinks/store-sink.ts';

/** A sink that keeps what it was handed (every delivery, copies included) and can be made to fail. */
class TestSink implements RecordSink {
  readonly name: string;
  readonly deliveries: number[] = [];
  readonly ids: string[] = [];
  readonly payloads: Buffer[] = [];
  /** DeliveryOptions.firstDelivery of each delivery, failed ones included. */
  readonly first: boolean[] = [];
  failing = false;

  constructor(name: string) {
    this.name = name;
  }

  async deliver(batch: readonly SinkRecord[], options?: DeliveryOptions): Promise<void> {
    this.first.push(options?.firstDelivery ?? false);
    if (this.failing) throw new Error(`${this.name} is down`);
    this.deliveries.push(batch.length);
    for (const r of batch) {
      this.ids.push(r.id);
      this.payloads.push(r.payload);
    }
  }

  async close(): Promise<void> {}
}

interface Logged { level: string; obj: Record<string, unknown>; msg: string }

function testLogger(): { lines: Logged[]; info: (o: object, m: string) => void; warn: (o: object, m: string) => void; error: (o: object, m: string) => void } {
  const lines: Logged[] = [];
  const at = (level: string) => (obj: object, msg: string) => { lines.push({ level, obj: obj as Record<string, unknown>, msg }); };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

async function pipelineOf(sinks: RecordSink[], over: Partial<RecordPipelineOptions> & { dir?: string; maxBytes?: number } = {}) {
  const dir = over.dir ?? testDataDir();
  const journal = over.journal === undefined && !('journal' in over) ? await Journal.open({ dir, ...(over.maxBytes === undefined ? {} : { maxBytes: over.maxBytes, segmentBytes: 64 * 1024 }) }) : over.journal;
  const counts = { dropped: 0, failed: [] as string[] };
  const logger = testLogger();
  const pipeline = new RecordPipeline({
    journal, sinks, logger, flushIntervalMs: 60_000, batchSize: 50, maxBuffered: 1_000, whenFull: 'drop',
    gauges: { dropped: (n) => { counts.dropped += n; }, writeFailed: (sink) => { counts.failed.push(sink); } },
    ...over,
  });
  return { pipeline, journal, counts, logger, dir };
}

describe('RecordPipeline', () => {
  it('hands a sink a whole batch at once, the rest at the interval or on flush, each record once and in order', async () => {
    const sink = new TestSink('a');
    const { pipeline } = await pipelineOf([sink]);
    const records = Array.from({ length: 120 }, () => makeUsageRecord());
    for (const r of records) pipeline.recordUsage(r);
    await until(() => sink.ids.length === 100, 'two whole batches delivered');
    assert.deepEqual(sink.deliveries, [50, 50], 'whole batches go at once; the 20 left wait for the interval');
    await pipeline.flush();
    assert.deepEqual(sink.ids, records.map((r) => r.id));
    assert.equal(pipeline.backlog, 0);
    await pipeline.close();
  });

  it('on flush delivers what was there; records that keep arriving meanwhile wait for whole batches, not a small one after each pause', async () => {
    const sink = new TestSink('a');
    const { pipeline } = await pipelineOf([sink]);
    for (let i = 0; i < 30; i++) pipeline.recordUsage(makeUsageRecord());
    const flushed = pipeline.flush();
    // Steady load: a few records between each of the pipeline's pauses.
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 5; i++) pipeline.recordUsage(makeUsageRecord());
      await new Promise((resolve) => setImmediate(resolve));
    }
    try {
      await flushed;
      await until(() => sink.ids.length >= 200, 'the whole batches delivered');
      assert.equal(sink.deliveries[0], 30, 'the flush took what it found');
      assert.ok(sink.deliveries.slice(1).every((n) => n === 50), `then only whole batches: ${sink.deliveries.join(', ')}`);
    } finally {
      await pipeline.close();
    }
  });

  it('carries usage records and audit events in the versioned schema, and stores both kinds in their tables', async () => {
    const dir = testDataDir();
    const storage = createSqliteStorage({ path: join(dir, 'db.sqlite') });
    await storage.migrate();
    const probe = new TestSink('probe');
    const { pipeline } = await pipelineOf([new StoreSink(storage.usage, storage.audit), probe], { dir: join(dir, 'journal') });
    const usage = makeUsageRecord({ workspaceId: 'ws-1', fallbackChain: ['a/m', 'b/m'], retries: 1 });
    const event = makeAuditEvent({ workspaceId: 'ws-1' });
    pipeline.recordUsage(usage);
    pipeline.recordAudit(event);
    await pipeline.flush();
    assert.deepEqual((await storage.usage.list({ requestId: usage.requestId })).map((r) => [r.id, r.fallbackChain]), [[usage.id, ['a/m', 'b/m']]]);
    assert.deepEqual((await storage.audit.list({ requestId: event.requestId ?? '' })).map((e) => e.id), [event.id]);
    const decoded = probe.payloads.map((p) => decodeRecord(p));
    assert.deepEqual(decoded.map((d) => [d?.type, d?.id, d?.workspaceId]), [['usage', usage.id, 'ws-1'], ['audit', event.id, 'ws-1']]);
    assert.deepEqual(decoded[0]?.record, usage, 'the payload decodes to the record itself');
    assert.match(probe.payloads[0]!.toString(), /^\{"schema":"switchboard\.record\.v1","type":"usage","id":/);
    await pipeline.close();
    await storage.close();
  });

  it('lets each sink go at its own pace: one down holds up no other, gets everything once back, and the journal keeps what it lacks', async () => {
    const fast = new TestSink('fast');
    const slow = new TestSink('slow');
    slow.failing = true;
    const { pipeline, journal, counts, logger } = await pipelineOf([fast, slow], { maxBuffered: 100 });
    const records = Array.from({ length: 400 }, () => makeUsageRecord());
    for (const r of records) pipeline.recordUsage(r);
    await pipeline.flush();
    assert.equal(fast.ids.length, 400);
    assert.equal(slow.ids.length, 0);
    assert.ok(counts.failed.includes('slow') && !counts.failed.includes('fast'));
    assert.equal(logger.lines.filter((l) => l.obj.event === 'usage_sink_failing').length, 1, 'an outage is logged once');
    const stats = pipeline.stats;
    assert.deepEqual(stats.sinks.map((s) => [s.name, s.backlog, s.failing]), [['fast', 0, false], ['slow', 400, true]]);
    assert.ok(stats.sinks[1]!.oldestUndeliveredSeconds >= 0);
    assert.equal(journal!.stats.backlog, 400, 'the journal keeps every record the slow sink lacks');
    // Memory holds at most maxBuffered; the rest comes back from the journal.
    slow.failing = false;
    await pipeline.flush();
    assert.deepEqual(slow.ids, records.map((r) => r.id), 'every record once, in order, the oldest read back from the journal');
    assert.equal(logger.lines.filter((l) => l.obj.event === 'usage_sink_recovered').length, 1);
    assert.equal(journal!.stats.backlog, 0);
    assert.equal(counts.dropped, 0);
    await pipeline.close();
  });

  it('delivers after a restart what the journal holds and a sink never acknowledged', async () => {
    const dir = testDataDir();
    const down = new TestSink('store');
    down.failing = true;
    const first = await pipelineOf([down], { dir });
    const records = Array.from({ length: 75 }, () => makeUsageRecord());
    for (const r of records) first.pipeline.recordUsage(r);
    await first.pipeline.close();
    const up = new TestSink('store');
    const second = await pipelineOf([up], { dir });
    await until(() => up.ids.length === 75, 'the journalled records delivered');
    assert.deepEqual(up.ids, records.map((r) => r.id));
    assert.ok(down.first.length > 0 && down.first[0] === true && down.first.slice(1).every((f) => !f), `a batch tried again is no first delivery: ${down.first.join(', ')}`);
    assert.ok(up.first.every((f) => !f), 'what an earlier process journalled may have reached the sink: no first delivery');
    for (let i = 0; i < 50; i++) second.pipeline.recordUsage(makeUsageRecord());
    await until(() => up.ids.length === 125, 'a whole batch of new records delivered');
    assert.equal(up.first.at(-1), true, 'records of this process handed for the first time');
    await second.pipeline.close();
  });

  it('forgets the cursor of a sink no longer configured, so the journal does not keep records for it', async () => {
    const dir = testDataDir();
    const nats = new TestSink('nats');
    nats.failing = true;
    const first = await pipelineOf([new TestSink('store'), nats], { dir });
    for (let i = 0; i < 10; i++) first.pipeline.recordUsage(makeUsageRecord());
    await first.pipeline.flush();
    assert.equal(first.journal!.stats.backlog, 10, 'kept for the failing sink');
    await first.pipeline.close();
    const second = await pipelineOf([new TestSink('store')], { dir });
    assert.deepEqual(second.journal!.sinks, ['store']);
    assert.equal(second.journal!.stats.backlog, 0);
    assert.equal(second.logger.lines.filter((l) => l.obj.event === 'usage_sink_forgotten' && l.obj.sink === 'nats').length, 1);
    await second.pipeline.close();
  });

  it('skips a journalled record that is not in the record schema, logs it, and delivers the rest', async () => {
    const dir = testDataDir();
    const down = new TestSink('store');
    down.failing = true;
    const first = await pipelineOf([down], { dir });
    first.pipeline.recordUsage(makeUsageRecord());
    await first.pipeline.close();
    // A well-framed record whose payload is not ours (a foreign writer, a bug): its checksum is right, its content not.
    const segment = readdirSync(dir).find((n) => n.endsWith('.log'))!;
    appendFileSync(join(dir, segment), encodeFrame(2, Buffer.from('{"not":"a record"}')));
    const third = encodeFrame(3, Buffer.from(`{"schema":"switchboard.record.v1","type":"usage",${JSON.stringify(makeUsageRecord({ id: 'r-3' })).slice(1)}`));
    appendFileSync(join(dir, segment), third);
    const up = new TestSink('store');
    const second = await pipelineOf([up], { dir });
    await until(() => up.ids.length === 2, 'the good records delivered');
    assert.equal(up.ids[1], 'r-3');
    assert.equal(second.logger.lines.filter((l) => l.obj.event === 'usage_journal_bad_record').length, 1);
    await second.pipeline.close();
  });

  it('skips, after three failed tries of its batch, a record the sink refuses on its own, and loses nothing else', async () => {
    const records = Array.from({ length: 10 }, () => makeUsageRecord());
    const poison = records[4]!.id;
    const picky = new TestSink('picky');
    const deliver = picky.deliver.bind(picky);
    picky.deliver = async (batch) => {
      if (batch.some((r) => r.id === poison)) throw new Error('value out of range');
      await deliver(batch);
    };
    const other = new TestSink('other');
    const { pipeline, counts, logger } = await pipelineOf([picky, other]);
    for (const r of records) pipeline.recordUsage(r);
    for (let i = 0; i < 3; i++) await pipeline.flush();
    // The checks around the refused record hand a taken one again: sinks key on the id, so the repeat is stored once.
    assert.deepEqual([...new Set(picky.ids)], records.filter((r) => r.id !== poison).map((r) => r.id));
    assert.deepEqual(other.ids, records.map((r) => r.id), 'the other sink gets it');
    assert.equal(counts.dropped, 1);
    assert.equal(logger.lines.filter((l) => l.obj.event === 'usage_sink_record_refused' && l.obj.id === poison).length, 1);
    assert.equal(pipeline.backlog, 0);
    await pipeline.close();
  });

  it('skips nothing when an outage ends in the middle of isolating a batch', async () => {
    const records = Array.from({ length: 10 }, () => makeUsageRecord());
    const flaky = new TestSink('flaky');
    const deliver = flaky.deliver.bind(flaky);
    // Down for the batch's three tries and the first two records tried alone, then up for good.
    let calls = 0;
    flaky.deliver = async (batch, options) => {
      if (++calls <= 5) throw new Error('connection refused');
      await deliver(batch, options);
    };
    const { pipeline, counts } = await pipelineOf([flaky]);
    for (const r of records) pipeline.recordUsage(r);
    for (let i = 0; i < 3; i++) await pipeline.flush();
    assert.equal(counts.dropped, 0, 'the two refused while it was down are outage, not poison');
    assert.deepEqual(new Set(flaky.ids), new Set(records.map((r) => r.id)));
    assert.equal(pipeline.backlog, 0);
    await pipeline.close();
  });

  it('does not skip anything while a sink is down: refused records in a row are an outage', async () => {
    const down = new TestSink('down');
    down.failing = true;
    const { pipeline, counts } = await pipelineOf([down]);
    for (let i = 0; i < 20; i++) pipeline.recordUsage(makeUsageRecord());
    for (let i = 0; i < 5; i++) await pipeline.flush();
    assert.equal(counts.dropped, 0);
    assert.equal(pipeline.backlog, 20);
    down.failing = false;
    await pipeline.flush();
    assert.equal(down.ids.length, 20);
    await pipeline.close();
  });

  it('without a journal, holds at most maxBuffered in memory and drops the oldest, counted and logged', async () => {
    const sink = new TestSink('store');
    sink.failing = true;
    const { pipeline, counts, logger } = await pipelineOf([sink], { journal: undefined, maxBuffered: 10 });
    const records = Array.from({ length: 15 }, () => makeUsageRecord());
    for (const r of records) pipeline.recordUsage(r);
    assert.equal(counts.dropped, 5);
    assert.equal(logger.lines.filter((l) => l.obj.event === 'usage_buffer_full').length, 1);
    sink.failing = false;
    await pipeline.flush();
    assert.deepEqual(sink.ids, records.slice(5).map((r) => r.id));
    await pipeline.close();
  });

  it('under "refuse", refuses new requests when the journal is nearly full, and accepts them again once the sink catches up', async () => {
    const sink = new TestSink('store');
    sink.failing = true;
    const { pipeline, counts, logger } = await pipelineOf([sink], { maxBytes: 1024 * 1024, whenFull: 'refuse', maxBuffered: 100 });
    let n = 0;
    while (!pipeline.refusing && n < 10_000) {
      pipeline.recordUsage(makeUsageRecord());
      n++;
    }
    assert.ok(pipeline.refusing, `refusing after ${n} records`);
    assert.ok(logger.lines.some((l) => l.obj.event === 'usage_journal_filling'), 'warned before it was full');
    assert.ok(logger.lines.some((l) => l.obj.event === 'usage_journal_refusing'));
    // The requests already admitted still have room for their records.
    for (let i = 0; i < 10; i++) pipeline.recordUsage(makeUsageRecord());
    assert.equal(counts.dropped, 0);
    sink.failing = false;
    await pipeline.flush();
    await new Promise((resolve) => setTimeout(resolve, 20));
    pipeline.recordUsage(makeUsageRecord());
    assert.equal(pipeline.refusing, false);
    await pipeline.close();
  });

  it('under "drop", drops and counts what a full journal cannot take', async () => {
    const sink = new TestSink('store');
    sink.failing = true;
    const { pipeline, counts } = await pipelineOf([sink], { maxBytes: 1024 * 1024, whenFull: 'drop', maxBuffered: 100 });
    for (let i = 0; i < 3_000; i++) pipeline.recordUsage(makeUsageRecord());
    assert.ok(counts.dropped > 0);
    assert.equal(pipeline.refusing, false, 'never refuses under "drop"');
    sink.failing = false;
    await pipeline.flush();
    assert.equal(sink.ids.length + counts.dropped, 3_000, 'every record is delivered or counted');
    await pipeline.close();
  });
});
