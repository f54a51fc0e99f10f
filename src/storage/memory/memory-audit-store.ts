import type { AuditEvent } from '../../domain/audit-event.ts';
import { auditJson, fromAuditJson } from '../audit-json.ts';
import type { AuditStore } from '../ports.ts';
import { resolveAuditQuery, unknownCursor, type AuditFilter } from '../resolve-audit-query.ts';
import { toEpochMs } from '../to-epoch-ms.ts';

interface StoredAudit {
  readonly event: AuditEvent;
  /** before and after as JSON text, as the SQL stores keep them: every read gets its own copy. */
  readonly beforeJson: string | null;
  readonly afterJson: string | null;
  readonly atMs: number;
  /** Insertion order: breaks time ties the way SQLite's rowid and PostgreSQL's seq do. */
  readonly seq: number;
}

function newestFirst(a: StoredAudit, b: StoredAudit): number {
  return b.atMs - a.atMs || b.seq - a.seq;
}

function matches(f: AuditFilter, { event, atMs }: StoredAudit): boolean {
  return (f.requestId === undefined || event.requestId === f.requestId)
    && (f.workspaceId === undefined || event.workspaceId === f.workspaceId)
    && (f.actorKeyId === undefined || event.actorKeyId === f.actorKeyId)
    && (f.action === undefined || event.action === f.action)
    && (f.actionRange === undefined || event.action.startsWith(f.actionRange.from))
    && (f.outcome === undefined || event.outcome === f.outcome)
    && (f.targetType === undefined || event.targetType === f.targetType)
    && (f.targetId === undefined || event.targetId === f.targetId)
    && (f.sinceMs === undefined || atMs >= f.sinceMs)
    && (f.untilMs === undefined || atMs < f.untilMs);
}

function stored(event: AuditEvent, seq: number): StoredAudit {
  const atMs = toEpochMs(event.at, 'at');
  return { event: { ...event }, beforeJson: auditJson(event.before, 'before'), afterJson: auditJson(event.after, 'after'), atMs, seq };
}

/** The event as the SQL stores give it back: before and after through JSON. */
function read(row: StoredAudit): AuditEvent {
  return { ...row.event, before: fromAuditJson(row.beforeJson), after: fromAuditJson(row.afterJson) };
}

/** Keeps every event for the life of the process; meant for tests and short-lived runs, not production. */
export function createMemoryAuditStore(assertOpen: () => void): AuditStore {
  const rows: StoredAudit[] = [];
  const byId = new Map<string, StoredAudit>();

  return {
    async insertMany(events) {
      assertOpen();
      // Checked whole before anything is kept, so a bad event leaves nothing behind.
      const fresh = new Map<string, StoredAudit>();
      for (const event of events) {
        if (!byId.has(event.id) && !fresh.has(event.id)) fresh.set(event.id, stored(event, rows.length + fresh.size));
      }
      for (const row of fresh.values()) {
        rows.push(row);
        byId.set(row.event.id, row);
      }
    },
    async list(query) {
      assertOpen();
      const filter = resolveAuditQuery(query);
      let cursor: StoredAudit | undefined;
      if (filter.before !== undefined) {
        cursor = byId.get(filter.before);
        if (cursor === undefined) throw unknownCursor(filter.before);
      }
      const older = (row: StoredAudit): boolean => cursor === undefined || newestFirst(cursor, row) < 0;
      return rows.filter((row) => older(row) && matches(filter, row)).sort(newestFirst).slice(0, filter.limit).map(read);
    },
    async deleteBefore(cutoffMs) {
      assertOpen();
      const kept = rows.filter((row) => row.atMs >= cutoffMs);
      const deleted = rows.length - kept.length;
      for (const row of rows) if (row.atMs < cutoffMs) byId.delete(row.event.id);
      rows.splice(0, rows.length, ...kept);
      return deleted;
    },
  };
}
