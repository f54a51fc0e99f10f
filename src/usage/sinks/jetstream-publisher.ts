import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { RECORD_SCHEMA, type SinkRecord } from './record-sink.ts';

const SCHEMA_HEADER = 'Switchboard-Schema';
const MSG_ID_HEADER = 'Nats-Msg-Id';
const UNSAFE_SUBJECT_CHARS = /[^A-Za-z0-9_-]/g;

/** The subject a record is published on: its type, then its workspace made a single safe token ("_" for none). */
export function natsSubject(subjectPrefix: string, record: Pick<SinkRecord, 'type' | 'workspaceId'>): string {
  const workspace = record.workspaceId === null || record.workspaceId === '' ? '_' : record.workspaceId.replace(UNSAFE_SUBJECT_CHARS, '_');
  return `${subjectPrefix}.${record.type}.${workspace}`;
}

/** What JetStream answers a publish with: a PubAck, or an API error. */
interface PubAckReply {
  readonly stream?: string;
  readonly duplicate?: boolean;
  readonly error?: { readonly code?: number; readonly err_code?: number; readonly description?: string };
}

/** One batch on its way: which of its records were acknowledged, and how it ends. */
interface Delivery {
  readonly id: number;
  readonly records: readonly SinkRecord[];
  readonly acked: Uint8Array;
  acknowledged: number;
  next: number;
  settled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/**
 * Publishes batches of records to JetStream on one connection and collects their acknowledgements.
 *
 * This is what the client's `jetstream().publish()` does, minus its cost: each of its calls is a request with a
 * timer, a deferred and (even with noAsyncTraces) an Error built when it is answered, some 20 µs of CPU per
 * record against 7 µs here (cpu profiles of 100,000 records to a local server; nats-sink.test.ts prints the
 * figure). A JetStream publish is a plain publish with a reply subject, answered by a PubAck or an API error
 * (JetStream's wire API), so this publishes with reply subjects `<inbox>.<batch>.<index>` under one
 * subscription, keeps at most `maxInFlight` records of a batch unanswered, and bounds the whole batch with a
 * single timer. An answer that comes after its batch settled is dropped.
 */
export class JetStreamPublisher {
  readonly #nc: NatsConnection;
  readonly #subjectPrefix: string;
  readonly #maxInFlight: number;
  readonly #inbox: string;
  readonly #subscription: Subscription;
  readonly #deliveries = new Map<number, Delivery>();
  #lastId = 0;

  constructor(nc: NatsConnection, subjectPrefix: string, maxInFlight: number) {
    this.#nc = nc;
    this.#subjectPrefix = subjectPrefix;
    this.#maxInFlight = maxInFlight;
    this.#inbox = createInbox();
    // The client subscribes again by itself after a reconnect.
    this.#subscription = nc.subscribe(`${this.#inbox}.>`, { callback: (err, msg) => { if (err === null) this.#onReply(msg); } });
  }

  /** Resolves once JetStream has acknowledged every record (a duplicate counts: it has it already); rejects at the first refusal or after timeoutMs. */
  publish(records: readonly SinkRecord[], timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const delivery: Delivery = {
        id: ++this.#lastId, records, acked: new Uint8Array(records.length), acknowledged: 0, next: 0, settled: false, timer: undefined, resolve, reject,
      };
      this.#deliveries.set(delivery.id, delivery);
      delivery.timer = setTimeout(() => this.#settle(delivery, new Error(`nats sink: ${delivery.acknowledged} of ${records.length} records acknowledged within ${timeoutMs} ms`)), timeoutMs);
      for (let i = 0; i < Math.min(this.#maxInFlight, records.length); i++) this.#publishNext(delivery);
    });
  }

  /** Stops listening; batches still waiting are rejected. */
  close(): void {
    for (const delivery of this.#deliveries.values()) this.#settle(delivery, new Error('nats sink: closed'));
    if (!this.#nc.isClosed()) this.#subscription.unsubscribe();
  }

  #publishNext(delivery: Delivery): void {
    const index = delivery.next;
    const record = delivery.records[index];
    if (delivery.settled || record === undefined) return;
    delivery.next++;
    const h = headers();
    h.set(MSG_ID_HEADER, record.id);
    h.set(SCHEMA_HEADER, RECORD_SCHEMA);
    try {
      this.#nc.publish(natsSubject(this.#subjectPrefix, record), record.payload, { reply: `${this.#inbox}.${delivery.id}.${index}`, headers: h });
    } catch (err) {
      // A closed connection, a payload over the server's max_payload.
      this.#settle(delivery, err instanceof Error ? err : new Error(String(err)));
    }
  }

  #onReply(msg: Msg): void {
    const token = msg.subject.slice(this.#inbox.length + 1);
    const dot = token.indexOf('.');
    const delivery = this.#deliveries.get(Number(token.slice(0, dot)));
    const index = Number(token.slice(dot + 1));
    if (delivery === undefined || !(index >= 0 && index < delivery.records.length) || delivery.acked[index] === 1) return;
    const refusal = ackError(msg);
    if (refusal !== undefined) {
      this.#settle(delivery, refusal);
      return;
    }
    delivery.acked[index] = 1;
    if (++delivery.acknowledged === delivery.records.length) this.#settle(delivery, undefined);
    else this.#publishNext(delivery);
  }

  #settle(delivery: Delivery, err: Error | undefined): void {
    if (delivery.settled) return;
    delivery.settled = true;
    clearTimeout(delivery.timer);
    this.#deliveries.delete(delivery.id);
    if (err === undefined) delivery.resolve();
    else delivery.reject(err);
  }
}

/** Why JetStream did not store the message, or undefined when it did. */
function ackError(msg: Msg): Error | undefined {
  // No body: a status from the server itself, 503 when no stream listens on the subject (or JetStream is not up yet).
  if (msg.data.length === 0) return new Error(`nats sink: no stream took the record (status ${msg.headers?.code ?? 'none'}); is JetStream enabled and does the stream capture the subject?`);
  let reply: PubAckReply;
  try {
    reply = msg.json<PubAckReply>();
  } catch {
    return new Error('nats sink: an acknowledgement that is not JSON');
  }
  if (reply.error !== undefined) return new Error(`nats sink: JetStream refused a record: ${reply.error.description ?? 'no description'} (${reply.error.err_code ?? reply.error.code ?? '?'})`);
  return reply.stream === undefined ? new Error('nats sink: an acknowledgement without a stream') : undefined;
}
