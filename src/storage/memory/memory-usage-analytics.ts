import type { UsageRecord } from '../../domain/usage-record.ts';
import type { UsageAnalytics, UsageGroupBy, UsageRange, UsageScan } from '../ports.ts';
import { DAY_MS, nearestRank, rangeMs, rawCutoffMs, toGroups, totalsOf, type GroupSums } from '../usage-figures.ts';
import { resolvePageSize } from '../resolve-usage-limit.ts';
import type { StoredUsage } from './memory-usage-store.ts';

type GroupOf = (record: UsageRecord, startedAtMs: number) => string | number | null;

const GROUP_OF: Readonly<Record<UsageGroupBy | 'all', GroupOf>> = {
  model: (r) => r.modelServed ?? r.modelRequested,
  key: (r) => r.keyId,
  workspace: (r) => r.workspaceId,
  day: (_, ms) => Math.floor(ms / DAY_MS),
  all: () => null,
};

function inRange(range: UsageRange): (stored: StoredUsage) => boolean {
  const { sinceMs, untilMs } = rangeMs(range);
  return ({ record: r, startedAtMs }) => startedAtMs >= sinceMs && startedAtMs < untilMs &&
    (range.workspaceId === undefined || r.workspaceId === range.workspaceId) &&
    (range.keyId === undefined || r.keyId === range.keyId) &&
    (range.model === undefined || (r.modelServed ?? r.modelRequested) === range.model);
}

const ascending = (a: number, b: number): number => a - b;

function sumsOf(key: string | number | null, records: readonly UsageRecord[]): GroupSums {
  const latencies = records.map((r) => r.latencyMs).sort(ascending);
  const ttfts = records.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs])).sort(ascending);
  const total = (pick: (r: UsageRecord) => number): number => records.reduce((sum, r) => sum + pick(r), 0);
  return {
    key, requests: records.length, errors: records.filter((r) => r.outcome !== 'ok').length,
    inputTokens: total((r) => r.inputTokens), outputTokens: total((r) => r.outputTokens),
    cachedInputTokens: total((r) => r.cachedInputTokens), cacheWriteTokens: total((r) => r.cacheWriteTokens), costUsd: total((r) => r.costUsd),
    latencySumMs: total((r) => r.latencyMs), latencyP50: nearestRank(latencies, 50), latencyP95: nearestRank(latencies, 95),
    ttftCount: ttfts.length, ttftSumMs: ttfts.reduce((sum, t) => sum + t, 0), ttftP50: nearestRank(ttfts, 50), ttftP95: nearestRank(ttfts, 95),
  };
}

/** The analytics of the memory store: a pass over every record it holds (it is for tests and short runs). */
export function createMemoryUsageAnalytics(rows: StoredUsage[], ids: Set<string>, assertOpen: () => void): UsageAnalytics {
  function grouped(range: UsageRange, by: UsageGroupBy | 'all'): GroupSums[] {
    const match = inRange(range);
    const groups = new Map<string | number | null, UsageRecord[]>();
    for (const stored of rows) {
      if (stored.record.kind !== 'request' || !match(stored)) continue;
      const key = GROUP_OF[by](stored.record, stored.startedAtMs);
      let list = groups.get(key);
      if (list === undefined) groups.set(key, (list = []));
      list.push(stored.record);
    }
    return [...groups].map(([key, records]) => sumsOf(key, records));
  }

  return {
    async summarize(range) {
      assertOpen();
      return totalsOf(grouped(range, 'all'));
    },
    async breakdown(range, by) {
      assertOpen();
      return toGroups(grouped(range, by), by);
    },
    async *scan(query: UsageScan) {
      assertOpen();
      const pageSize = resolvePageSize(query.pageSize);
      const match = inRange(query);
      const found = rows.filter((s) => match(s) && (query.kind === undefined || s.record.kind === query.kind))
        .sort((a, b) => a.startedAtMs - b.startedAtMs || a.seq - b.seq);
      for (let start = 0; start < found.length; start += pageSize) {
        yield found.slice(start, start + pageSize).map((s) => ({ ...s.record }));
      }
    },
    async maintain(job) {
      assertOpen();
      if (!job.retention) return { ran: true, hoursRolledUp: 0, rawDeleted: 0, rollupsDeleted: 0 };
      const cutoff = rawCutoffMs(job.now, job.rawDays);
      // Compacted in place: the store holds this very array.
      let kept = 0;
      for (const stored of rows) {
        if (stored.startedAtMs >= cutoff) rows[kept++] = stored;
        else ids.delete(stored.record.id);
      }
      const rawDeleted = rows.length - kept;
      rows.length = kept;
      return { ran: true, hoursRolledUp: 0, rawDeleted, rollupsDeleted: 0 };
    },
  };
}
