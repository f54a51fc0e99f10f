import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Admin, Consumer, MessagesStreamModes, stringDeserializer, type Message } from '@platformatic/kafka';
import { deliverUntilAccepted } from '../../../test/support/deliver-until-accepted.ts';
import { makeAuditSinkRecord, makeSinkBatches, makeUsageSinkRecord } from '../../../test/support/sink-record-factory.ts';
import { freePort } from '../../modes/free-port.ts';
import { KafkaSink } from './kafka-sink.ts';
import { RECORD_SCHEMA, type SinkRecord } from './record-sink.ts';
import type { SinkLogger } from './sink-logger.ts';

/** KAFKA_BROKERS=host:port[,host:port…] names the broker these tests produce to; without it they are skipped. */
const BROKERS = (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
const NO_BROKER = BROKERS.length === 0 ? 'KAFKA_BROKERS is not set: no Kafka broker to test against' : false;
const PARTITIONS = 3;
const READ_TIMEOUT_MS = 30_000;

type Received = Message<string, Buffer, string, string>;

const silentLogger: SinkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Reads `count` messages from the topics from their start with a consumer group of its own; fails after READ_TIMEOUT_MS. */
async function readTopics(topics: readonly string[], count: number): Promise<Received[]> {
  const consumer = new Consumer<string, Buffer, string, string>({
    groupId: `switchboard-test-${randomUUID()}`, clientId: 'switchboard-test', bootstrapBrokers: BROKERS, maxWaitTime: 500,
    deserializers: { key: stringDeserializer, headerKey: stringDeserializer, headerValue: stringDeserializer },
  });
  const out: Received[] = [];
  try {
    const stream = await consumer.consume({ topics: [...topics], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const timer = setTimeout(() => stream.destroy(new Error(`read ${out.length} of ${count} messages within ${READ_TIMEOUT_MS} ms`)), READ_TIMEOUT_MS);
    try {
      for await (const message of stream) {
        out.push(message as Received);
        if (out.length >= count) break;
      }
    } finally {
      clearTimeout(timer);
      await stream.close().catch(() => undefined);
    }
  } finally {
    await consumer.close(true);
  }
  return out;
}

/** What a consumer does: drops a message whose dedup-id it has seen. Asserts keys, headers and bodies on the way. */
function dedupAndCheck(received: readonly Received[], sent: readonly SinkRecord[], topicOf: (record: SinkRecord) => string): Map<string, Received> {
  const byId = new Map(sent.map((r) => [r.id, r]));
  const kept = new Map<string, Received>();
  for (const m of received) {
    const id = m.headers.get('dedup-id');
    assert.ok(id !== undefined, 'every message has a dedup-id');
    const record = byId.get(id);
    assert.ok(record !== undefined, `message ${id} is one of the records sent`);
    assert.equal(m.headers.get('schema'), RECORD_SCHEMA);
    assert.equal(m.topic, topicOf(record));
    assert.equal(m.key, record.workspaceId ?? '');
    assert.ok(m.value.equals(record.payload), `body of ${id} is the payload unchanged`);
    if (!kept.has(id)) kept.set(id, m);
  }
  assert.equal(kept.size, sent.length, 'every record arrived');
  return kept;
}

describe('KafkaSink against a real broker (KAFKA_BROKERS)', { skip: NO_BROKER, timeout: 120_000 }, () => {
  const created: string[] = [];
  const sinks: KafkaSink[] = [];
  let admin: Admin;

  /** A usage and an audit topic of the test's own (so that it reads back exactly what it produced) and a sink producing to them. */
  const sinkWithTopics = async (): Promise<{ sink: KafkaSink; usageTopic: string; auditTopic: string; topicOf: (r: SinkRecord) => string }> => {
    const run = randomUUID().slice(0, 8);
    const usageTopic = `switchboard-test.${run}.usage`;
    const auditTopic = `switchboard-test.${run}.audit`;
    await admin.createTopics({ topics: [usageTopic, auditTopic], partitions: PARTITIONS, replicas: 1 });
    created.push(usageTopic, auditTopic);
    const sink = new KafkaSink({ brokers: BROKERS, usageTopic, auditTopic, logger: silentLogger });
    sinks.push(sink);
    await sink.start();
    return { sink, usageTopic, auditTopic, topicOf: (r) => (r.type === 'usage' ? usageTopic : auditTopic) };
  };

  before(() => { admin = new Admin({ clientId: 'switchboard-test', bootstrapBrokers: BROKERS }); });
  after(async () => {
    await Promise.all(sinks.map((s) => s.close()));
    if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => undefined);
    await admin.close();
  });

  test('20,000 records in batches of 1,000: each once, keyed by workspace, with both headers, a workspace in order on one partition', async () => {
    const { sink, usageTopic, topicOf } = await sinkWithTopics();
    const batches = makeSinkBatches(20_000, 1000, ['ws-a', 'ws-b', 'ws-c', null]);
    const started = performance.now();
    const report = await deliverUntilAccepted(sink, batches);
    const seconds = (performance.now() - started) / 1000;
    console.log(`# kafka sink: 20000 records in ${seconds.toFixed(2)} s (${Math.round(20_000 / seconds)} records/s)`);
    assert.equal(report.rejections, 0);
    const sent = batches.flat();
    const received = await readTopics([usageTopic], sent.length);
    assert.equal(received.length, sent.length, 'the idempotent producer stored no retry twice');
    dedupAndCheck(received, sent, topicOf);
    const seqOf = new Map(sent.map((r) => [r.id, r.seq]));
    const partitionsOf = new Map<string, Set<number>>();
    const lastSeq = new Map<string, number>();
    for (const m of received) {
      partitionsOf.set(m.key, (partitionsOf.get(m.key) ?? new Set()).add(m.partition));
      const seq = seqOf.get(m.headers.get('dedup-id') ?? '') ?? 0;
      assert.ok(seq > (lastSeq.get(m.key) ?? 0), `workspace "${m.key}" read in journal order`);
      lastSeq.set(m.key, seq);
    }
    for (const [key, partitions] of partitionsOf) assert.equal(partitions.size, 1, `workspace "${key}" is on one partition`);
  });

  test('a batch handed again after a failed delivery: copies carry the same dedup-id, one record each after dedup', async () => {
    const { sink, usageTopic, auditTopic, topicOf } = await sinkWithTopics();
    const batch = [makeUsageSinkRecord(1, { workspaceId: 'acme' }), makeAuditSinkRecord(2, { workspaceId: 'acme' }), makeAuditSinkRecord(3)];
    await sink.deliver(batch);
    await sink.deliver(batch);
    const received = await readTopics([usageTopic, auditTopic], batch.length * 2);
    assert.equal(received.length, batch.length * 2);
    const kept = dedupAndCheck(received, batch, topicOf);
    assert.equal(kept.size, batch.length);
  });

  test('topics per type: usage records to the usage topic, audit events to the audit topic', async () => {
    const { sink, usageTopic, auditTopic, topicOf } = await sinkWithTopics();
    const records = [makeUsageSinkRecord(1, { workspaceId: 'acme' }), makeAuditSinkRecord(2, { workspaceId: 'acme' }), makeAuditSinkRecord(3, { workspaceId: null })];
    await sink.deliver(records);
    assert.equal((await readTopics([usageTopic], 1)).length, 1);
    dedupAndCheck(await readTopics([auditTopic], 2), records.slice(1), topicOf);
  });
});

describe('KafkaSink without a broker', { timeout: 30_000 }, () => {
  test('a broker that cannot be reached: start() resolves having logged it, deliver() rejects within its timeout, close() returns', async () => {
    const lines: string[] = [];
    const logger: SinkLogger = { info: () => undefined, warn: (obj) => lines.push(String((obj as { event?: string }).event)), error: (obj) => lines.push(String((obj as { event?: string }).event)) };
    const sink = new KafkaSink({ brokers: [`127.0.0.1:${await freePort()}`], deliverTimeoutMs: 1000, closeTimeoutMs: 500, logger });
    const starting = performance.now();
    await sink.start();
    assert.ok(performance.now() - starting < 1000 + 300, 'start() is bounded');
    assert.deepEqual(lines, ['kafka_sink_unavailable']);
    for (let i = 0; i < 2; i++) {
      const started = performance.now();
      await assert.rejects(sink.deliver([makeUsageSinkRecord(i + 1)]));
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000 + 300, `rejected after ${elapsed.toFixed(0)} ms`);
    }
    assert.deepEqual(lines, ['kafka_sink_unavailable', 'kafka_sink_failing'], 'a failing sink is logged once');
    const closing = performance.now();
    await sink.close();
    assert.ok(performance.now() - closing < 500 + 300);
  });
});
