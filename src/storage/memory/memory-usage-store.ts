import type { UsageQuery, UsageStore } from '../ports.ts';
import type { UsageRecord } from '../../domain/usage-record.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import { toEpochMs } from '../to-epoch-ms.ts';

interface StoredUsage {
  readonly record: UsageRecord;
  readonly startedAtMs: number;
  /** Insertion order: breaks startedAt ties the way SQLite's rowid does. */
  readonly seq: number;
}

function newestFirst(a: StoredUsage, b: StoredUsage): number {
  return b.startedAtMs - a.startedAtMs || b.seq - a.seq;
}

function matcher(query: UsageQuery): (stored: StoredUsage) => boolean {
  const sinceMs = query.since === undefined ? undefined : toEpochMs(query.since, 'since');
  return ({ record, startedAtMs }) =>
    (query.requestId === undefined || record.requestId === query.requestId) &&
    (query.keyId === undefined || record.keyId === query.keyId) &&
    (sinceMs === undefined || startedAtMs >= sinceMs);
}

/** Keeps every record for the life of the process; meant for tests and short-lived runs, not production. */
export function createMemoryUsageStore(assertOpen: () => void): UsageStore {
  const rows: StoredUsage[] = [];
  const ids = new Set<string>();

  /** Validates the whole batch before touching the store, so a bad record leaves nothing behind. */
  function stage(records: readonly UsageRecord[]): StoredUsage[] {
    const batchIds = new Set<string>();
    return records.map((record, index) => {
      if (ids.has(record.id) || batchIds.has(record.id)) throw new Error(`a usage record with id ${record.id} already exists`);
      batchIds.add(record.id);
      const startedAtMs = toEpochMs(record.startedAt, 'startedAt');
      return { record: { ...record }, startedAtMs, seq: rows.length + index };
    });
  }

  return {
    async insertMany(records) {
      assertOpen();
      for (const stored of stage(records)) {
        rows.push(stored);
        ids.add(stored.record.id);
      }
    },
    async list(query) {
      assertOpen();
      const limit = resolveUsageLimit(query.limit);
      return rows.filter(matcher(query)).sort(newestFirst).slice(0, limit).map((stored) => ({ ...stored.record }));
    },
  };
}
