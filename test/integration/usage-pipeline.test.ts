// The usage pipeline against real sinks: 100,000 records through SQLite, PostgreSQL and NATS JetStream, each
// record stored once; PostgreSQL cut off and NATS killed mid-stream, then back: every record exactly once after
// dedup, the journal keeping what they lacked meanwhile.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomUUIDv7 } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createPostgresStorage } from '../../src/storage/postgres/postgres-storage.ts';
import { createSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.ts';
import type { Storage } from '../../src/storage/ports.ts';
import { Journal } from '../../src/usage/journal/journal.ts';
import { RecordPipeline } from '../../src/usage/record-pipeline.ts';
import { NatsSink } from '../../src/usage/sinks/nats-sink.ts';
import type { RecordSink } from '../../src/usage/sinks/record-sink.ts';
import { StoreSink } from '../../src/usage/sinks/store-sink.ts';
import { startNatsServer } from '../support/nats-server.ts';
import { postgresSchemas, TEST_POSTGRES_URL } from '../support/postgres-schemas.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { testDataDir } from '../support/test-data-dir.ts';
import { makeUsageRecord } from '../support/usage-record-factory.ts';

const TOTAL = 100_000;
const schemas = postgresSchemas();
after(() => schemas.dropAll());

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Feeds `TOTAL` records at a gateway's pace (turns of 500, the event loop free between them), calling `midway` at 30 %. */
async function feed(pipeline: RecordPipeline, midway: () => Promise<void> | void, resume: () => Promise<void> | void): Promise<string[]> {
  const ids: string[] = [];
  const startedAt = new Date().toISOString();
  for (let i = 0; i < TOTAL; i++) {
    const id = randomUUIDv7();
    ids.push(id);
    pipeline.recordUsage(makeUsageRecord({ id, requestId: id, startedAt, workspaceId: i % 3 === 0 ? null : `ws-${i % 3}` }));
    if (i % 500 === 499) await sleep(0);
    if (i === TOTAL * 0.3) await midway();
    if (i === TOTAL * 0.6) await resume();
  }
  return ids;
}

async function drain(pipeline: RecordPipeline): Promise<void> {
  // Bounded in time too: each flush may wait out a sink's deliver timeout.
  const deadline = performance.now() + 45_000;
  for (let i = 0; i < 600 && pipeline.backlog > 0 && performance.now() < deadline; i++) {
    await pipeline.flush();
    if (pipeline.backlog > 0) await sleep(100);
  }
  assert.equal(pipeline.backlog, 0, 'every sink caught up');
}

/** Failed deliveries per sink, across the file. */
const failures = new Map<string, number>();

async function pipelineWith(sinks: RecordSink[]): Promise<RecordPipeline> {
  const journal = await Journal.open({ dir: join(testDataDir(), 'journal') });
  return new RecordPipeline({
    journal, sinks, logger: quiet, flushIntervalMs: 200, batchSize: 1000, maxBuffered: 20_000, whenFull: 'drop',
    gauges: { dropped: () => assert.fail('nothing may be dropped'), writeFailed: (sink) => { failures.set(sink, (failures.get(sink) ?? 0) + 1); } },
  });
}

describe('usage pipeline, 100,000 records to real sinks', () => {
  it('SQLite: every record stored once', async () => {
    const storage = createSqliteStorage({ path: join(testDataDir(), 'switchboard.db') });
    await storage.migrate();
    const pipeline = await pipelineWith([new StoreSink(storage.usage, storage.audit)]);
    const ids = await feed(pipeline, () => undefined, () => undefined);
    await drain(pipeline);
    await pipeline.close();
    const stored = await storedIds(storage);
    assert.equal(stored.length, TOTAL);
    assert.deepEqual(new Set(stored), new Set(ids));
    await storage.close();
  });

  it('PostgreSQL cut off mid-stream and back, and NATS killed mid-stream and restarted: each has every record exactly once', async () => {
    const schema = schemas.fresh();
    const proxy = await startTcpProxy(5432);
    const url = new URL(TEST_POSTGRES_URL);
    url.host = `127.0.0.1:${proxy.port}`;
    const storage = createPostgresStorage({ connectionString: url.toString(), schema, connectTimeoutMs: 500, statementTimeoutMs: 2000 });
    await storage.migrate();
    const nats = await startNatsServer();
    const natsSink = new NatsSink({ servers: [nats.url], stream: 'PIPELINE_TEST', deliverTimeoutMs: 2000, reconnectWaitMs: 100, logger: quiet });
    await natsSink.start();
    let pipeline: RecordPipeline | undefined;
    try {
      pipeline = await pipelineWith([new StoreSink(storage.usage, storage.audit), natsSink]);
      const ids = await feed(pipeline, async () => {
        proxy.cut();
        await nats.stop('SIGKILL');
      }, async () => {
        proxy.restore();
        await nats.start();
      });
      await drain(pipeline);
      await pipeline.close();
      assert.ok((failures.get('store') ?? 0) > 0 && (failures.get('nats') ?? 0) > 0, `both outages were met: ${JSON.stringify([...failures])}`);

      const direct = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
      const stored = await storedIds(direct);
      await direct.close();
      assert.equal(stored.length, TOTAL, 'PostgreSQL: no record missing or doubled');
      assert.deepEqual(new Set(stored), new Set(ids));

      const published = await natsIds(nats.url, 'PIPELINE_TEST');
      const distinct = new Set(published);
      assert.equal(distinct.size, TOTAL, 'NATS: every record, by its Nats-Msg-Id');
      assert.deepEqual(distinct, new Set(ids));
      // JetStream drops a copy within its duplicate window itself: none is stored twice.
      assert.equal(published.length, TOTAL, 'NATS: no record stored twice');
    } finally {
      // Closed on a failure too: a NATS client left reconnecting to the stopped server would keep the file running.
      await pipeline?.close().catch(() => undefined);
      await natsSink.close().catch(() => undefined);
      await storage.close();
      await proxy.close();
      await nats.close();
    }
  });
});

async function storedIds(storage: Storage): Promise<string[]> {
  // Read the ids straight from the table: the port's list() is for the newest few.
  const ids: string[] = [];
  for await (const page of storage.usage.scan({ since: '2000-01-01T00:00:00.000Z', until: '2100-01-01T00:00:00.000Z', pageSize: 1000 })) ids.push(...page.map((r) => r.id));
  return ids;
}

async function natsIds(server: string, stream: string): Promise<string[]> {
  const nc = await connect({ servers: server });
  try {
    const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    const ids: string[] = [];
    const messages = await (await jetstream(nc).consumers.get(stream)).consume({ max_messages: 10_000 });
    // A stream that holds fewer messages than it said ends the read (and fails the count) instead of waiting forever.
    const stop = setTimeout(() => void messages.close(), 20_000);
    try {
      for await (const m of messages) {
        ids.push(m.headers?.get('Nats-Msg-Id') ?? '');
        if (ids.length === total) break;
      }
    } finally {
      clearTimeout(stop);
    }
    await messages.close();
    return ids;
  } finally {
    await nc.close();
  }
}

