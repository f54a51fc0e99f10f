import type { AuditEvent } from '../../domain/audit-event.ts';
import type { UsageRecord } from '../../domain/usage-record.ts';
import type { AuditStore, UsageStore } from '../../storage/ports.ts';
import type { DeliveryOptions, RecordSink, SinkRecord } from './record-sink.ts';

/**
 * The store as a sink of the pipeline: usage records to the usage table, audit events to the audit table, each
 * part of a batch in one write. Both tables ignore a record whose id they hold already, so a batch delivered again
 * after a crash or a failed write is stored once.
 */
export class StoreSink implements RecordSink {
  /** The journal's cursor name (kept from the journal's first version: an existing journal's cursor carries on). */
  readonly name = 'store';
  readonly #usage: UsageStore;
  readonly #audit: AuditStore;

  constructor(usage: UsageStore, audit: AuditStore) {
    this.#usage = usage;
    this.#audit = audit;
  }

  async deliver(batch: readonly SinkRecord[], options?: DeliveryOptions): Promise<void> {
    const usage: UsageRecord[] = [];
    let audit: AuditEvent[] | undefined;
    for (const r of batch) {
      if (r.type === 'usage') usage.push(r.record);
      else (audit ??= []).push(r.record);
    }
    if (usage.length > 0) await this.#usage.insertMany(usage, options);
    if (audit !== undefined) await this.#audit.insertMany(audit);
  }

  async close(): Promise<void> {
    // The storage is closed by its owner, after the pipeline.
  }
}
