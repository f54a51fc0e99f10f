import type { AuditEvent } from '../../domain/audit-event.ts';
import type { UsageRecord } from '../../domain/usage-record.ts';

/**
 * One journalled record as a sink is handed it. `payload` is the record's JSON in the published versioned
 * schema (docs/record-schema.md): the bytes the journal holds, the body a message carries. `id` is the dedup id:
 * the same on every delivery of the same record, on every replica.
 */
interface SinkRecordBase {
  readonly seq: number;
  readonly id: string;
  /** What a message sink keys or partitions by: the record's workspace, null when it has none. */
  readonly workspaceId: string | null;
  readonly payload: Buffer;
}

/** "usage" or "audit" (what a message sink names its subject or topic after), with the decoded record for sinks that store fields (SQL stores); message sinks send `payload` as it is. */
export type SinkRecord =
  | (SinkRecordBase & { readonly type: 'usage'; readonly record: UsageRecord })
  | (SinkRecordBase & { readonly type: 'audit'; readonly record: AuditEvent });

export type RecordType = 'usage' | 'audit';

/** The schema every payload follows; its version is in each payload ("schema") and in each message's headers. */
export const RECORD_SCHEMA = 'switchboard.record.v1';

/**
 * Where journalled records go: a store (SQLite, PostgreSQL) or a message stream (NATS JetStream, Kafka). The
 * journal keeps every record until each configured sink has acknowledged it; a sink is handed batches in journal
 * order and may be handed a record again after a crash or a failed delivery (at least once), so it must let its
 * reader drop a copy by `id` (a unique key, a message-id header).
 */
/** What the pipeline knows about a batch it hands a sink. */
export interface DeliveryOptions {
  /** No record of the batch was handed to this sink before (in this process or an earlier one): see InsertOptions. */
  readonly firstDelivery: boolean;
}

export interface RecordSink {
  /** Stable across restarts: the journal's cursor for this sink is saved under it. */
  readonly name: string;
  /**
   * Resolves once the sink holds every record of the batch durably (a stream's publish acknowledgement, a
   * committed transaction); rejects, having kept nothing it cannot tell apart from a copy, when it cannot. Must
   * settle within a bounded time (its own timeout): the journal does not wait forever for one sink.
   */
  deliver(batch: readonly SinkRecord[], options?: DeliveryOptions): Promise<void>;
  /** Releases connections; resolves within a bounded time. */
  close(): Promise<void>;
}
