import { compatibilityPartitioner, Producer, ProduceAcks, stringSerializer, type MessageToProduce } from '@platformatic/kafka';
import { RECORD_SCHEMA, type RecordSink, type RecordType, type SinkRecord } from './record-sink.ts';
import { settleWithin } from './settle-within.ts';
import type { SinkLogger } from './sink-logger.ts';

export interface KafkaSinkOptions {
  /** host:port of the bootstrap brokers. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly usageTopic?: string;
  readonly auditTopic?: string;
  /** deliver() settles within this long. */
  readonly deliverTimeoutMs?: number;
  /** close() waits this long for the producer's connections to close. */
  readonly closeTimeoutMs?: number;
  /** The journal's cursor name for this sink. */
  readonly name?: string;
  readonly logger: SinkLogger;
}

type Settings = Required<Omit<KafkaSinkOptions, 'logger'>> & Pick<KafkaSinkOptions, 'logger'>;
type Message = MessageToProduce<string, Buffer, string, string>;

const DEFAULTS = {
  clientId: 'switchboard', usageTopic: 'switchboard.usage', auditTopic: 'switchboard.audit', deliverTimeoutMs: 10_000,
  closeTimeoutMs: 5000, name: 'kafka',
};
/**
 * Retries of one produce request inside the client. The idempotent producer would otherwise retry forever, and a
 * send still retrying after deliver() gave up would pile up beside the journal's own retry of the same batch.
 */
const PRODUCE_RETRIES = 3;
const RETRY_DELAY_MS = 250;

/**
 * Produces records to Kafka, one topic per type, keyed by workspace (so that a workspace's records stay in order
 * on one partition, the same one a Java client picks), each with the headers `dedup-id: <id>` and `schema`. The
 * producer is idempotent and waits for every in-sync replica (acks=all): a retry inside the client is never
 * stored twice. A batch the journal hands again after a failed delivery may be, and its copies carry the same
 * dedup-id for the reader to drop.
 *
 * The client connects on the first delivery; a broker that cannot be reached never stops the gateway from
 * starting (the journal holds the records meanwhile).
 */
export class KafkaSink implements RecordSink {
  readonly name: string;
  readonly #o: Settings;
  readonly #producer: Producer<string, Buffer, string, string>;
  readonly #topics: Record<RecordType, string>;
  #failing = false;
  #closed = false;

  constructor(options: KafkaSinkOptions) {
    this.#o = { ...DEFAULTS, ...options };
    if (this.#o.brokers.length === 0) throw new Error('kafka sink: no brokers');
    this.name = this.#o.name;
    this.#topics = { usage: this.#o.usageTopic, audit: this.#o.auditTopic };
    this.#producer = new Producer({
      clientId: this.#o.clientId,
      bootstrapBrokers: [...this.#o.brokers],
      idempotent: true,
      acks: ProduceAcks.ALL,
      retries: PRODUCE_RETRIES,
      retryDelay: RETRY_DELAY_MS,
      timeout: this.#o.deliverTimeoutMs,
      connectTimeout: Math.min(5000, this.#o.deliverTimeoutMs),
      partitioner: compatibilityPartitioner,
      serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
    });
  }

  /** Checks that the brokers answer and the topics exist; logs what is wrong (deliveries fail until it is put right) and resolves. */
  async start(): Promise<void> {
    const topics = [this.#o.usageTopic, this.#o.auditTopic];
    try {
      await settleWithin(this.#producer.metadata({ topics }), this.#o.deliverTimeoutMs, `kafka sink: no metadata within ${this.#o.deliverTimeoutMs} ms`);
    } catch (err) {
      this.#o.logger.error({ event: 'kafka_sink_unavailable', err, brokers: this.#o.brokers, topics }, 'kafka sink: brokers or topics not available at start; records wait in the journal, every delivery tries again');
    }
  }

  async deliver(batch: readonly SinkRecord[]): Promise<void> {
    if (this.#closed) throw new Error('kafka sink: closed');
    if (batch.length === 0) return;
    const messages = batch.map((record) => this.#message(record));
    try {
      await settleWithin(this.#producer.send({ messages }), this.#o.deliverTimeoutMs, `kafka sink: batch of ${batch.length} not acknowledged within ${this.#o.deliverTimeoutMs} ms`);
    } catch (err) {
      if (!this.#failing) {
        this.#failing = true;
        this.#o.logger.warn({ event: 'kafka_sink_failing', err }, 'kafka sink: deliveries failing; records wait in the journal');
      }
      throw err;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#o.logger.info({ event: 'kafka_sink_recovered' }, 'kafka sink: deliveries succeed again');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await settleWithin(this.#producer.close(), this.#o.closeTimeoutMs, `kafka sink: not closed within ${this.#o.closeTimeoutMs} ms`);
    } catch (err) {
      this.#o.logger.warn({ event: 'kafka_sink_close_failed', err }, 'kafka sink: close did not finish; going on without it');
    }
  }

  #message(record: SinkRecord): Message {
    return {
      topic: this.#topics[record.type],
      key: record.workspaceId ?? '',
      value: record.payload,
      headers: new Map([['dedup-id', record.id], ['schema', RECORD_SCHEMA]]),
    };
  }
}
