import type { AuditEvent } from '../../src/domain/audit-event.ts';
import type { UsageRecord } from '../../src/domain/usage-record.ts';
import { encodeRecord } from '../../src/usage/record-encoding.ts';
import type { SinkRecord } from '../../src/usage/sinks/record-sink.ts';
import { makeAuditEvent } from './audit-event-factory.ts';
import { makeUsageRecord } from './usage-record-factory.ts';

/** A usage record as the journal hands it to a sink: payload is its JSON with the schema's name, as published. */
export function makeUsageSinkRecord(seq: number, overrides: Partial<UsageRecord> = {}): SinkRecord {
  const record = makeUsageRecord(overrides);
  return { seq, id: record.id, type: 'usage', workspaceId: record.workspaceId, record, payload: encode('usage', record) };
}

/** An audit event (a key created) as the journal hands it to a sink. */
export function makeAuditSinkRecord(seq: number, overrides: Partial<AuditEvent> = {}): SinkRecord {
  const record = makeAuditEvent(overrides);
  return { seq, id: record.id, type: 'audit', workspaceId: record.workspaceId, record, payload: encode('audit', record) };
}

/**
 * `count` usage records with seq from `firstSeq`, spread over `workspaces` in turn (null: no workspace), in
 * batches of `batchSize`: what the journal would hand a sink.
 */
export function makeSinkBatches(count: number, batchSize: number, workspaces: readonly (string | null)[] = ['ws-a', 'ws-b', null], firstSeq = 1): SinkRecord[][] {
  const batches: SinkRecord[][] = [];
  for (let i = 0; i < count; i++) {
    if (i % batchSize === 0) batches.push([]);
    batches.at(-1)?.push(makeUsageSinkRecord(firstSeq + i, { workspaceId: workspaces[i % workspaces.length] ?? null }));
  }
  return batches;
}

function encode(type: 'usage' | 'audit', record: UsageRecord | AuditEvent): Buffer {
  return Buffer.from(encodeRecord(type, record));
}
