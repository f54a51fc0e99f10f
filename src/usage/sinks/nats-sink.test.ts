import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { deliverUntilAccepted } from '../../../test/support/deliver-until-accepted.ts';
import { startNatsServer, type NatsServer } from '../../../test/support/nats-server.ts';
import { makeAuditSinkRecord, makeSinkBatches, makeUsageSinkRecord } from '../../../test/support/sink-record-factory.ts';
import { freePort } from '../../modes/free-port.ts';
import { NatsSink, natsSubject, type NatsSinkOptions } from './nats-sink.ts';
import { RECORD_SCHEMA, type SinkRecord } from './record-sink.ts';
import type { SinkLogger } from './sink-logger.ts';

interface LogLine { readonly level: 'info' | 'warn' | 'error'; readonly obj: { readonly event?: string }; readonly msg: string }

/** A logger that keeps what it is given, to count the lines of each event. */
function captureLogger(): SinkLogger & { readonly lines: LogLine[]; count(event: string): number } {
  const lines: LogLine[] = [];
  const keep = (level: LogLine['level']) => (obj: object, msg: string): void => { lines.push({ level, obj, msg }); };
  return { lines, info: keep('info'), warn: keep('warn'), error: keep('error'), count: (event) => lines.filter((l) => l.obj.event === event).length };
}

interface StoredMessage { readonly subject: string; readonly msgId: string | undefined; readonly schema: string | undefined; readonly data: Buffer }

/** Every message of the stream, read back with an ordered consumer (what a consumer of the records would run). */
async function readStream(url: string, stream: string): Promise<StoredMessage[]> {
  const nc = await connect({ servers: url });
  try {
    const js = jetstream(nc);
    const total = (await (await jetstreamManager(nc)).streams.info(stream)).state.messages;
    const out: StoredMessage[] = [];
    if (total === 0) return out;
    const messages = await (await js.consumers.get(stream)).consume({ max_messages: 10_000 });
    for await (const m of messages) {
      out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), schema: m.headers?.get('Switchboard-Schema'), data: Buffer.from(m.data) });
      if (out.length === total) break;
    }
    await messages.close();
    return out;
  } finally {
    await nc.close();
  }
}

/** Asserts that the stream holds each record once, byte for byte, with both headers; returns how many messages it holds. */
function assertEachStoredOnce(stored: readonly StoredMessage[], sent: readonly SinkRecord[], mayRepeat: ReadonlySet<string> = new Set()): void {
  const byId = new Map(sent.map((r) => [r.id, r]));
  const seen = new Map<string, number>();
  for (const m of stored) {
    assert.ok(m.msgId !== undefined, 'every message has a Nats-Msg-Id');
    const record = byId.get(m.msgId);
    assert.ok(record !== undefined, `stored message ${m.msgId} is one of the records sent`);
    assert.equal(m.schema, RECORD_SCHEMA);
    assert.ok(m.data.equals(record.payload), `body of ${m.msgId} is the payload unchanged`);
    seen.set(m.msgId, (seen.get(m.msgId) ?? 0) + 1);
  }
  assert.equal(seen.size, sent.length, 'every record is stored');
  for (const [id, count] of seen) {
    if (count > 1) assert.ok(mayRepeat.has(id), `${id} is stored ${count} times though its batch was never sent again`);
  }
}

describe('NatsSink against a real nats-server', { timeout: 120_000 }, () => {
  let server: NatsServer;
  const sinks: NatsSink[] = [];
  const sinkFor = async (options: Partial<NatsSinkOptions> & { readonly logger?: SinkLogger } = {}): Promise<NatsSink> => {
    const sink = new NatsSink({ servers: [server.url], logger: captureLogger(), ...options });
    sinks.push(sink);
    await sink.start();
    return sink;
  };

  before(async () => { server = await startNatsServer(); });
  after(async () => {
    await Promise.all(sinks.map((s) => s.close()));
    await server.close();
  });

  test('100,000 records in batches of 1,000 are stored once each, bodies and headers as sent', async () => {
    const sink = await sinkFor({ stream: 'BULK', subjectPrefix: 'bulk' });
    const batches = makeSinkBatches(100_000, 1000);
    const started = performance.now();
    const cpu = process.cpuUsage();
    const report = await deliverUntilAccepted(sink, batches);
    const seconds = (performance.now() - started) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    console.log(`# nats sink: 100000 records in ${seconds.toFixed(2)} s (${Math.round(100_000 / seconds)} records/s), this process's CPU ${((user + system) / 100_000).toFixed(1)} µs a record, slowest batch ${report.slowestCallMs.toFixed(0)} ms`);
    assert.equal(report.rejections, 0);
    const stored = await readStream(server.url, 'BULK');
    assert.equal(stored.length, 100_000);
    assertEachStoredOnce(stored, batches.flat());
  });

  test('a record larger than the server\'s max_payload is left out with an error line, and holds up no other', async () => {
    const logger = captureLogger();
    const sink = await sinkFor({ stream: 'HUGE', subjectPrefix: 'huge', logger });
    const [small, other] = makeSinkBatches(2, 2)[0]!;
    const huge = makeAuditSinkRecord(3, { after: { blob: 'x'.repeat(2 * 1024 * 1024) } });
    await sink.deliver([small!, huge, other!]);
    const stored = await readStream(server.url, 'HUGE');
    assert.deepEqual(stored.map((m) => m.msgId).sort(), [small!.id, other!.id].sort());
    assert.equal(logger.count('nats_sink_record_too_large'), 1);
  });

  test('a server killed after 30 % of the batches and restarted on the same store: every record stored once', async () => {
    const logger = captureLogger();
    const sink = await sinkFor({ stream: 'OUTAGE', subjectPrefix: 'outage', deliverTimeoutMs: 2000, reconnectWaitMs: 250, logger });
    const batches = makeSinkBatches(20_000, 1000);
    let restarted: Promise<void> | undefined;
    const report = await deliverUntilAccepted(sink, batches, {
      beforeBatch: (index) => {
        if (index !== 6) return;
        // Mid-stream: the kill lands while this batch's publishes are on their way.
        void server.stop('SIGKILL').then(() => { setTimeout(() => { restarted = server.start(); }, 3000); });
      },
    });
    await restarted;
    assert.ok(report.rejections > 0, 'the outage was seen by the loop');
    assert.ok(report.slowestCallMs < 2000 + 500, `every deliver() settled within its timeout (slowest ${report.slowestCallMs.toFixed(0)} ms)`);
    const stored = await readStream(server.url, 'OUTAGE');
    console.log(`# nats sink outage: ${report.rejections} rejections, ${report.retriedIds.size} records sent again, ${stored.length} messages stored for 20000 records`);
    assertEachStoredOnce(stored, batches.flat(), report.retriedIds);
    // JetStream's duplicate window (2 min) covers the whole outage: the stored count is exact.
    assert.equal(stored.length, 20_000);
    assert.equal(logger.count('nats_sink_disconnected'), 1, 'the loss is logged once');
    assert.equal(logger.count('nats_sink_reconnected'), 1, 'the recovery is logged once');
  });

  test('deliver() to a server that is down rejects within its timeout, and close() returns', async () => {
    const sink = new NatsSink({ servers: [server.url], stream: 'DOWN', subjectPrefix: 'down', deliverTimeoutMs: 1000, reconnectWaitMs: 250, closeTimeoutMs: 500, logger: captureLogger() });
    await sink.start();
    await sink.deliver([makeUsageSinkRecord(1)]);
    await server.stop('SIGKILL');
    try {
      const started = performance.now();
      await assert.rejects(sink.deliver([makeUsageSinkRecord(2), makeUsageSinkRecord(3)]));
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 1000 + 300, `rejected after ${elapsed.toFixed(0)} ms`);
      const closing = performance.now();
      await sink.close();
      assert.ok(performance.now() - closing < 500 + 300, 'close() is bounded while the server is down');
    } finally {
      await server.start();
    }
  });

  test('a server that hangs (connections open, nothing answered): deliver() rejects at its timeout, and works once it answers again', async () => {
    const sink = await sinkFor({ stream: 'HUNG', subjectPrefix: 'hung', deliverTimeoutMs: 1000 });
    await sink.deliver([makeUsageSinkRecord(1)]);
    server.pause();
    try {
      const started = performance.now();
      await assert.rejects(sink.deliver(makeSinkBatches(1000, 1000)[0] ?? []), /acknowledged within \d+ ms/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 950 && elapsed < 1000 + 300, `rejected after ${elapsed.toFixed(0)} ms`);
    } finally {
      server.resume();
    }
    await sink.deliver([makeUsageSinkRecord(2)]);
  });

  test('a server never reached: start() resolves having logged it, deliver() rejects within its timeout', async () => {
    const logger = captureLogger();
    const sink = await sinkFor({ servers: [`nats://127.0.0.1:${await freePort()}`], deliverTimeoutMs: 800, logger });
    assert.equal(logger.count('nats_sink_unavailable'), 1);
    const started = performance.now();
    await assert.rejects(sink.deliver([makeUsageSinkRecord(1)]));
    assert.ok(performance.now() - started < 800 + 300);
  });

  test('subjects name the type and the workspace, an unsafe workspace id made one safe token', async () => {
    const sink = await sinkFor({ stream: 'SUBJECTS', subjectPrefix: 'sb.test' });
    const records = [
      makeUsageSinkRecord(1, { workspaceId: 'acme' }),
      makeUsageSinkRecord(2, { workspaceId: null }),
      makeAuditSinkRecord(3, { workspaceId: 'acme' }),
      makeAuditSinkRecord(4, { workspaceId: null }),
      makeUsageSinkRecord(5, { workspaceId: 'we.ird *>/ws' }),
      makeUsageSinkRecord(6, { workspaceId: 'ok_id-7' }),
    ];
    await sink.deliver(records);
    const stored = await readStream(server.url, 'SUBJECTS');
    assertEachStoredOnce(stored, records);
    const subjectOf = new Map(stored.map((m) => [m.msgId, m.subject]));
    assert.deepEqual(records.map((r) => subjectOf.get(r.id)), [
      'sb.test.usage.acme', 'sb.test.usage._', 'sb.test.audit.acme', 'sb.test.audit._', 'sb.test.usage.we_ird____ws', 'sb.test.usage.ok_id-7',
    ]);
    assert.equal(natsSubject('p', { type: 'usage', workspaceId: '' }), 'p.usage._');
  });

  test('the stream it creates: file storage, the prefix\'s subjects, the duplicate window; the same batch twice is stored once', async () => {
    const sink = await sinkFor({ stream: 'CREATED', subjectPrefix: 'created', duplicateWindowMs: 90_000 });
    const batch = makeSinkBatches(50, 50)[0] ?? [];
    await sink.deliver(batch);
    await sink.deliver(batch);
    const nc = await connect({ servers: server.url });
    try {
      const { config, state } = await (await jetstreamManager(nc)).streams.info('CREATED');
      assert.deepEqual(config.subjects, ['created.>']);
      assert.equal(config.storage, StorageType.File);
      assert.equal(config.duplicate_window, nanos(90_000));
      assert.equal(state.messages, 50);
    } finally {
      await nc.close();
    }
  });

  test('an existing stream is left as it is (and one that does not fit is warned about)', async () => {
    const nc: NatsConnection = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'EXISTING', subjects: ['existing.>'], storage: StorageType.Memory, duplicate_window: nanos(10_000) });
      await jetstream(nc).publish('existing.other', 'kept');
      const logger = captureLogger();
      const sink = await sinkFor({ stream: 'EXISTING', subjectPrefix: 'existing', logger });
      await sink.deliver([makeUsageSinkRecord(1)]);
      const { config, state } = await jsm.streams.info('EXISTING');
      assert.equal(config.storage, StorageType.Memory);
      assert.equal(config.duplicate_window, nanos(10_000));
      assert.equal(state.messages, 2, 'nothing was deleted');
      assert.equal(logger.count('nats_sink_stream_mismatch'), 1, 'a shorter duplicate window than configured is warned about');
    } finally {
      await nc.close();
    }
  });

  test('a stream that does not capture the subjects: warned about at start, and deliver() rejects at once', async () => {
    const nc = await connect({ servers: server.url });
    try {
      await (await jetstreamManager(nc)).streams.add({ name: 'ELSEWHERE', subjects: ['elsewhere.>'] });
    } finally {
      await nc.close();
    }
    const logger = captureLogger();
    const sink = await sinkFor({ stream: 'ELSEWHERE', subjectPrefix: 'nowhere', logger });
    assert.equal(logger.count('nats_sink_stream_mismatch'), 1);
    const started = performance.now();
    await assert.rejects(sink.deliver([makeUsageSinkRecord(1)]), /no stream took the record/);
    assert.ok(performance.now() - started < 1000, 'a refusal is not waited out until the timeout');
  });
});
