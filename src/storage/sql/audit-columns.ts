/** How an AuditEvent maps to an audit_events row and back, the same in every SQL adapter. */
import type { AuditEvent } from '../../domain/audit-event.ts';
import { auditJson, fromAuditJson } from '../audit-json.ts';
import type { AuditFilter } from '../resolve-audit-query.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { readNullableText, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';
import type { SqlValue } from './sql-value.ts';

/** before and after are JSON (text in SQLite, jsonb in PostgreSQL, read back as text by both). */
export const AUDIT_COLUMNS = [
  'id', 'at', 'at_ms', 'action', 'outcome', 'code', 'actor_key_id', 'actor_workspace_id', 'actor_user_id', 'ip',
  'request_id', 'workspace_id', 'target_type', 'target_id', 'before_json', 'after_json',
] as const;

const OUTCOMES: Record<AuditEvent['outcome'], true> = { ok: true, refused: true };

/** Appends one event's values to `out` in AUDIT_COLUMNS order; throws before any write on a bad `at` or non-JSON before/after. */
export function pushAuditValues(event: AuditEvent, out: SqlValue[]): void {
  out.push(
    event.id, event.at, toEpochMs(event.at, 'at'), event.action, event.outcome, event.code, event.actorKeyId,
    event.actorWorkspaceId, event.actorUserId, event.ip, event.requestId, event.workspaceId, event.targetType,
    event.targetId, auditJson(event.before, 'before'), auditJson(event.after, 'after'),
  );
}

export function rowToAudit(row: Row): AuditEvent {
  return {
    id: readText(row, 'id'),
    at: readText(row, 'at'),
    action: readText(row, 'action'),
    outcome: readOneOf(row, 'outcome', OUTCOMES),
    code: readNullableText(row, 'code'),
    actorKeyId: readNullableText(row, 'actor_key_id'),
    actorWorkspaceId: readNullableText(row, 'actor_workspace_id'),
    actorUserId: readNullableText(row, 'actor_user_id'),
    ip: readNullableText(row, 'ip'),
    requestId: readNullableText(row, 'request_id'),
    workspaceId: readNullableText(row, 'workspace_id'),
    targetType: readText(row, 'target_type'),
    targetId: readNullableText(row, 'target_id'),
    before: fromAuditJson(readNullableText(row, 'before_json')),
    after: fromAuditJson(readNullableText(row, 'after_json')),
  };
}

/**
 * The WHERE clauses of a filter, each bound through `bind` (which answers the placeholder of the value it was
 * given): only the filters given, each as its own clause, so the planner can use the matching index. The cursor
 * (`before`) is the caller's: its position is found first.
 */
export function auditClauses(f: AuditFilter, bind: (value: SqlValue) => string): string[] {
  const where: string[] = [];
  const equal = (column: string, value: string | undefined): void => {
    if (value !== undefined) where.push(`${column} = ${bind(value)}`);
  };
  equal('request_id', f.requestId);
  equal('workspace_id', f.workspaceId);
  equal('actor_key_id', f.actorKeyId);
  equal('action', f.action);
  if (f.actionRange !== undefined) where.push(`action >= ${bind(f.actionRange.from)} AND action < ${bind(f.actionRange.to)}`);
  equal('outcome', f.outcome);
  equal('target_type', f.targetType);
  equal('target_id', f.targetId);
  if (f.sinceMs !== undefined) where.push(`at_ms >= ${bind(f.sinceMs)}`);
  if (f.untilMs !== undefined) where.push(`at_ms < ${bind(f.untilMs)}`);
  return where;
}
