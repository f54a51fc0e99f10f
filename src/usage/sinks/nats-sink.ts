import { jetstreamManager, JetStreamApiCodes, JetStreamApiError, StorageType, type StreamInfo } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamPublisher } from './jetstream-publisher.ts';
import type { RecordSink, SinkRecord } from './record-sink.ts';
import { settleWithin } from './settle-within.ts';
import type { SinkLogger } from './sink-logger.ts';

export { natsSubject } from './jetstream-publisher.ts';

export interface NatsSinkOptions {
  /** nats://host:port URLs of the cluster (any one of them is enough to find the others). */
  readonly servers: readonly string[];
  /** The JetStream stream the records are stored in; created at start when it is missing. */
  readonly stream?: string;
  /** Subjects are `<subjectPrefix>.<type>.<workspace>`; the stream captures `<subjectPrefix>.>`. */
  readonly subjectPrefix?: string;
  /** The duplicate window of a stream this sink creates: a record published again within it is stored once. */
  readonly duplicateWindowMs?: number;
  /** deliver() settles within this long (and so does one attempt to connect). */
  readonly deliverTimeoutMs?: number;
  /** Records of a batch published and not yet acknowledged, at most. */
  readonly maxInFlight?: number;
  /** Wait between two reconnect attempts (there is no limit to their number). */
  readonly reconnectWaitMs?: number;
  /** close() drains for at most this long, then closes. */
  readonly closeTimeoutMs?: number;
  /** The journal's cursor name for this sink. */
  readonly name?: string;
  readonly logger: SinkLogger;
}

type Settings = Required<Omit<NatsSinkOptions, 'logger'>> & Pick<NatsSinkOptions, 'logger'>;

/** What a message's headers and subject may take on top of its payload. */
const HEADER_ROOM_BYTES = 1024;

const DEFAULTS = {
  stream: 'SWITCHBOARD_RECORDS', subjectPrefix: 'switchboard', duplicateWindowMs: 120_000, deliverTimeoutMs: 10_000,
  // 256 unanswered publishes keep a local server busy (a batch of 1,000 is 4 round trips deep); 64 is a quarter
  // slower, 1,000 under a tenth faster (50,000 records to a local server, where the server is then the bottleneck).
  maxInFlight: 256, reconnectWaitMs: 1000, closeTimeoutMs: 5000, name: 'nats',
};

/**
 * Publishes records to a NATS JetStream stream, each with `Nats-Msg-Id: <id>` so that JetStream stores a record
 * delivered again within the stream's duplicate window once (a reader that reads past the window dedups by the
 * same header). A batch is acknowledged once JetStream has acknowledged every record of it.
 *
 * The connection is made at start; when the server cannot be reached then, start() logs it and every deliver()
 * tries again (the journal holds the records meanwhile), so a NATS outage never stops the gateway from starting.
 * Once connected, the client reconnects on its own for as long as it takes.
 */
export class NatsSink implements RecordSink {
  readonly name: string;
  readonly #o: Settings;
  #nc: NatsConnection | undefined;
  /** Set once connected with the stream in place: what a delivery needs. */
  #publisher: JetStreamPublisher | undefined;
  /** The attempt to connect and find the stream under way, shared by the deliveries that wait for it. */
  #connecting: Promise<JetStreamPublisher> | undefined;
  #down = false;
  #closed = false;

  constructor(options: NatsSinkOptions) {
    this.#o = { ...DEFAULTS, ...options };
    if (this.#o.servers.length === 0) throw new Error('nats sink: no servers');
    this.name = this.#o.name;
  }

  /** Connects and makes sure the stream exists; resolves (having logged why) when the server cannot be reached yet. */
  async start(): Promise<void> {
    try {
      await this.#ready();
    } catch (err) {
      this.#o.logger.error({ event: 'nats_sink_unavailable', err, servers: this.#o.servers }, 'nats sink: not connected at start; records wait in the journal, every delivery tries again');
    }
  }

  async deliver(batch: readonly SinkRecord[]): Promise<void> {
    if (this.#closed) throw new Error('nats sink: closed');
    if (batch.length === 0) return;
    // While the client reconnects, a publish would only wait out the timeout (the client drops what it buffered
    // at each attempt): refuse at once, and the journal's next try finds the connection back or not.
    if (this.#down) throw new Error('nats sink: disconnected, reconnecting');
    const deadline = performance.now() + this.#o.deliverTimeoutMs;
    const publisher = await this.#ready();
    const publishable = this.#withinMaxPayload(batch);
    if (publishable.length === 0) return;
    await publisher.publish(publishable, Math.max(1, Math.round(deadline - performance.now())));
  }

  /**
   * A record bigger than the server takes (its max_payload, 1 MiB by default: a large configuration import's
   * audit event) would fail its batch at every try and hold every later record up while the journal filled: it is
   * left out, with an error line naming it (the store still has it).
   */
  #withinMaxPayload(batch: readonly SinkRecord[]): readonly SinkRecord[] {
    const max = this.#nc?.info?.max_payload;
    if (max === undefined) return batch;
    // Headers and subject take a few hundred bytes besides the payload.
    const room = max - HEADER_ROOM_BYTES;
    if (batch.every((r) => r.payload.length <= room)) return batch;
    return batch.filter((r) => {
      if (r.payload.length <= room) return true;
      this.#o.logger.error({ event: 'nats_sink_record_too_large', id: r.id, type: r.type, bytes: r.payload.length, maxPayload: max }, 'nats sink: a record larger than the server\'s max_payload is not published');
      return false;
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    // An attempt to connect still under way closes its connection itself when it ends (it sees #closed).
    const connecting = this.#connecting;
    if (connecting !== undefined) await settleWithin(connecting, this.#o.closeTimeoutMs, 'nats sink: still connecting').catch(() => undefined);
    const nc = this.#nc;
    this.#publisher?.close();
    this.#nc = undefined;
    this.#publisher = undefined;
    if (nc === undefined || nc.isClosed()) return;
    // drain() flushes what was published and waits for the server's answer; a server that is gone would keep it waiting.
    await settleWithin(nc.drain(), this.#o.closeTimeoutMs, 'nats sink: drain timed out').catch(() => nc.close());
  }

  /** The connection once the stream is there; one attempt at a time, each waited for at most the deliver timeout. */
  #ready(): Promise<JetStreamPublisher> {
    if (this.#publisher !== undefined) return Promise.resolve(this.#publisher);
    this.#connecting ??= this.#connect().finally(() => { this.#connecting = undefined; });
    return settleWithin(this.#connecting, this.#o.deliverTimeoutMs, `nats sink: not connected within ${this.#o.deliverTimeoutMs} ms`);
  }

  async #connect(): Promise<JetStreamPublisher> {
    const nc = this.#nc ?? await connect({
      servers: [...this.#o.servers],
      name: 'switchboard',
      maxReconnectAttempts: -1,
      reconnectTimeWait: this.#o.reconnectWaitMs,
      timeout: this.#o.deliverTimeoutMs,
    });
    if (this.#closed) {
      await nc.close();
      throw new Error('nats sink: closed');
    }
    if (this.#nc !== nc) this.#watch(nc);
    this.#nc = nc;
    await this.#ensureStream(nc);
    this.#publisher = new JetStreamPublisher(nc, this.#o.subjectPrefix, this.#o.maxInFlight);
    return this.#publisher;
  }

  /** Creates the stream when it is missing; an existing one is left as it is (its owner may have tuned it), with a warning if it does not fit. */
  async #ensureStream(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: this.#o.deliverTimeoutMs });
    const subjects = `${this.#o.subjectPrefix}.>`;
    let info: StreamInfo;
    try {
      info = await jsm.streams.info(this.#o.stream);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
      // Another replica may create it at the same moment: the same config is accepted twice.
      await jsm.streams.add({ name: this.#o.stream, subjects: [subjects], storage: StorageType.File, duplicate_window: nanos(this.#o.duplicateWindowMs) });
      this.#o.logger.info({ event: 'nats_sink_stream_created', stream: this.#o.stream, subjects }, 'nats sink: stream created');
      return;
    }
    const { config } = info;
    if (!config.subjects.includes(subjects) || config.duplicate_window < nanos(this.#o.duplicateWindowMs)) {
      this.#o.logger.warn({
        event: 'nats_sink_stream_mismatch', stream: this.#o.stream, subjects: config.subjects, expectedSubjects: subjects,
        duplicateWindowMs: config.duplicate_window / 1e6, expectedDuplicateWindowMs: this.#o.duplicateWindowMs,
      }, 'nats sink: the existing stream does not capture the sink\'s subjects or has a shorter duplicate window; it is left as it is');
    }
  }

  /** Logs a loss of the connection once and its recovery once; a connection closed for good is made anew by the next delivery. */
  #watch(nc: NatsConnection): void {
    void (async () => {
      for await (const status of nc.status()) {
        if (status.type === 'disconnect' && !this.#down) {
          this.#down = true;
          this.#o.logger.warn({ event: 'nats_sink_disconnected', server: status.server }, 'nats sink: connection lost, reconnecting; records wait in the journal');
        } else if (status.type === 'reconnect' && this.#down) {
          this.#down = false;
          this.#o.logger.info({ event: 'nats_sink_reconnected', server: status.server }, 'nats sink: reconnected');
        }
      }
    })();
    void nc.closed().then((err) => {
      if (this.#nc !== nc) return;
      this.#publisher?.close();
      this.#nc = undefined;
      this.#publisher = undefined;
      if (!this.#closed) this.#o.logger.error({ event: 'nats_sink_closed', err }, 'nats sink: connection closed; the next delivery connects again');
    });
  }
}
