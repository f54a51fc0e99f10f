import type { AuditEvent } from '../domain/audit-event.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import { RECORD_SCHEMA, type RecordType } from './sinks/record-sink.ts';

/** What a payload decodes to: the record with what sinks key on. */
export type DecodedRecord =
  | { readonly type: 'usage'; readonly id: string; readonly workspaceId: string | null; readonly record: UsageRecord }
  | { readonly type: 'audit'; readonly id: string; readonly workspaceId: string | null; readonly record: AuditEvent };

const USAGE_HEAD = `{"schema":"${RECORD_SCHEMA}","type":"usage",`;
const AUDIT_HEAD = `{"schema":"${RECORD_SCHEMA}","type":"audit",`;

/**
 * A record as the journal holds it and a message carries it: the record's own fields with "schema" and "type"
 * first (docs/record-schema.md). Built by joining strings, not by copying the record into a new object: this runs
 * once per record on the response path.
 */
export function encodeRecord(type: RecordType, record: UsageRecord | AuditEvent): string {
  // A record's JSON starts with "{" and has fields: dropping the brace and joining the head keeps it one object.
  return (type === 'usage' ? USAGE_HEAD : AUDIT_HEAD) + JSON.stringify(record).slice(1);
}

/** The record a payload holds, or undefined when it is not JSON in this schema (a corrupt or foreign record). */
export function decodeRecord(payload: Buffer): DecodedRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { schema, type, ...record } = parsed as Record<string, unknown>;
  if (schema !== RECORD_SCHEMA || typeof record.id !== 'string') return undefined;
  const workspaceId = typeof record.workspaceId === 'string' ? record.workspaceId : null;
  if (type === 'usage') return { type, id: record.id, workspaceId, record: record as unknown as UsageRecord };
  if (type === 'audit') return { type, id: record.id, workspaceId, record: record as unknown as AuditEvent };
  return undefined;
}
