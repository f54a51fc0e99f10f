import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startNatsServer, type NatsServer } from '../../../test/support/nats-server.ts';
import { makeUsageSinkRecord } from '../../../test/support/sink-record-factory.ts';
import { loadConfig } from '../../config/load-config.ts';
import { freePort } from '../../modes/free-port.ts';
import { openMessageSinks, startSinks, type StartableSink, type UsageSinksConfig } from './open-sinks.ts';
import type { SinkLogger } from './sink-logger.ts';

const silentLogger: SinkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function sinksConfig(usageSinks: unknown, env: Record<string, string> = {}): UsageSinksConfig {
  return loadConfig({ raw: { usage: { sinks: usageSinks } }, env }).usage.sinks;
}

describe('usage.sinks configuration', () => {
  test('defaults: both off, NATS on the local server, the documented names and timeouts', () => {
    assert.deepEqual(sinksConfig({}), {
      nats: { enabled: false, servers: ['nats://127.0.0.1:4222'], stream: 'SWITCHBOARD_RECORDS', subjectPrefix: 'switchboard', duplicateWindowMs: 120_000, deliverTimeoutMs: 10_000 },
      kafka: { enabled: false, brokers: [], clientId: 'switchboard', usageTopic: 'switchboard.usage', auditTopic: 'switchboard.audit', deliverTimeoutMs: 10_000 },
    });
  });

  test('NATS_URL and KAFKA_BROKERS say where the servers are (comma-separated), never that a sink is on', () => {
    const config = sinksConfig({}, { NATS_URL: 'nats://a:4222, nats://b:4222', KAFKA_BROKERS: 'k1:9092,k2:9092' });
    assert.deepEqual(config.nats.servers, ['nats://a:4222', 'nats://b:4222']);
    assert.deepEqual(config.kafka.brokers, ['k1:9092', 'k2:9092']);
    assert.equal(config.nats.enabled, false);
    assert.equal(config.kafka.enabled, false);
  });

  test('the environment wins over the file, as for every override', () => {
    const config = sinksConfig({ nats: { enabled: true, servers: ['nats://file:4222'] } }, { NATS_URL: 'nats://env:4222' });
    assert.deepEqual(config.nats.servers, ['nats://env:4222']);
    assert.equal(config.nats.enabled, true);
  });

  test('refuses what would never work, naming the setting', () => {
    assert.throws(() => sinksConfig({ kafka: { enabled: true } }), /usage\.sinks\.kafka\.brokers: at least one broker/);
    assert.throws(() => sinksConfig({ kafka: { brokers: ['no-port'] } }), /usage\.sinks\.kafka\.brokers\.0: host:port/);
    assert.throws(() => sinksConfig({ nats: { subjectPrefix: 'a.*' } }), /usage\.sinks\.nats\.subjectPrefix/);
    assert.throws(() => sinksConfig({ nats: { stream: 'with.dot' } }), /usage\.sinks\.nats\.stream/);
    assert.throws(() => sinksConfig({ nats: { servers: [] } }), /usage\.sinks\.nats\.servers/);
    assert.throws(() => sinksConfig({ nats: { colour: 'red' } }), /usage\.sinks\.nats: Unrecognized key/);
  });
});

describe('openMessageSinks', { timeout: 60_000 }, () => {
  let server: NatsServer;
  before(async () => { server = await startNatsServer(); });
  after(async () => { await server.close(); });

  test('none enabled: no sink', async () => {
    assert.deepEqual(await openMessageSinks(sinksConfig({}), silentLogger), []);
  });

  test('both enabled: started NATS and Kafka sinks, NATS first; a Kafka that cannot be reached does not stop the start', async () => {
    const config = sinksConfig({ nats: { enabled: true, stream: 'OPENED', subjectPrefix: 'opened' }, kafka: { enabled: true, deliverTimeoutMs: 500 } },
      { NATS_URL: server.url, KAFKA_BROKERS: `127.0.0.1:${await freePort()}` });
    const sinks = await openMessageSinks(config, silentLogger);
    try {
      assert.deepEqual(sinks.map((s) => s.name), ['nats', 'kafka']);
      await sinks[0]?.deliver([makeUsageSinkRecord(1)]);
      await assert.rejects(sinks[1]?.deliver([makeUsageSinkRecord(1)]) ?? Promise.resolve());
    } finally {
      await Promise.all(sinks.map((s) => s.close()));
    }
  });

  test('a sink that fails to start: those already started are closed, and the error is passed on', async () => {
    const closed: string[] = [];
    const fake = (name: string, fails: boolean): StartableSink => ({
      name,
      start: () => (fails ? Promise.reject(new Error(`${name} refused`)) : Promise.resolve()),
      deliver: () => Promise.resolve(),
      close: () => { closed.push(name); return Promise.resolve(); },
    });
    await assert.rejects(startSinks([() => fake('first', false), () => fake('second', true), () => fake('third', false)]), /second refused/);
    assert.deepEqual(closed.sort(), ['first', 'second']);
  });
});
