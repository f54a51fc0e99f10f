import type { Config } from '../../config/schema.ts';
import type { RecordSink } from './record-sink.ts';
import type { SinkLogger } from './sink-logger.ts';

/** `usage.sinks` of the configuration: the message streams, each off until enabled. */
export type UsageSinksConfig = Config['usage']['sinks'];

/** A sink with a start-up step (connect, check the stream or topics) that the journal's delivery loop does not call. */
export interface StartableSink extends RecordSink {
  start(): Promise<void>;
}

/**
 * The enabled message sinks (NATS JetStream, Kafka), built and started, in that order; none when none is
 * enabled. A sink whose server is down still starts (it logs, and its deliveries fail until the server is back:
 * the journal keeps the records). Settings are read once: a change takes effect at the next start.
 *
 * Each client library is loaded only when its sink is enabled: @platformatic/kafka takes some 400 ms to import
 * and the NATS client some 55 ms (Node 24, development machine), against 30 ms allowed for the whole start-up.
 */
export function openMessageSinks(config: UsageSinksConfig, logger: SinkLogger): Promise<RecordSink[]> {
  const builders: Array<() => Promise<StartableSink>> = [];
  const { nats, kafka } = config;
  if (nats.enabled) {
    builders.push(async () => new (await import('./nats-sink.ts')).NatsSink({
      servers: nats.servers, stream: nats.stream, subjectPrefix: nats.subjectPrefix, duplicateWindowMs: nats.duplicateWindowMs,
      deliverTimeoutMs: nats.deliverTimeoutMs, logger,
    }));
  }
  if (kafka.enabled) {
    builders.push(async () => new (await import('./kafka-sink.ts')).KafkaSink({
      brokers: kafka.brokers, clientId: kafka.clientId, usageTopic: kafka.usageTopic, auditTopic: kafka.auditTopic,
      deliverTimeoutMs: kafka.deliverTimeoutMs, logger,
    }));
  }
  return startSinks(builders);
}

/** Builds and starts each sink in turn; when one cannot be built or started, closes those already open and rethrows. */
export async function startSinks(builders: ReadonlyArray<() => StartableSink | Promise<StartableSink>>): Promise<RecordSink[]> {
  const open: RecordSink[] = [];
  try {
    for (const build of builders) {
      const sink = await build();
      open.push(sink);
      await sink.start();
    }
    return open;
  } catch (err) {
    await Promise.allSettled(open.map((sink) => sink.close()));
    throw err;
  }
}
