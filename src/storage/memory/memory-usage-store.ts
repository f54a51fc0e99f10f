import type { Feedback, UsageAnalytics, UsageQuery, UsageStore, VariantStats } from '../ports.ts';
import type { UsageRecord } from '../../domain/usage-record.ts';
import { checkFeedback } from '../check-feedback.ts';
import { createMemoryUsageAnalytics } from './memory-usage-analytics.ts';
import { resolveUsageLimit } from '../resolve-usage-limit.ts';
import { toEpochMs } from '../to-epoch-ms.ts';

export interface StoredUsage {
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
    (query.workspaceId === undefined || record.workspaceId === query.workspaceId) &&
    (query.kind === undefined || record.kind === query.kind) &&
    (sinceMs === undefined || startedAtMs >= sinceMs);
}

type MutableStats = { -readonly [K in keyof VariantStats]: VariantStats[K] };

function emptyStats(variant: string): MutableStats {
  return {
    variant, requests: 0, successes: 0, latencySum: 0, latencySumSq: 0, costSum: 0, costSumSq: 0, tokensSum: 0, tokensSumSq: 0,
    feedbackCount: 0, feedbackSum: 0, feedbackSumSq: 0,
  };
}

/** By code point, as SQLite's BINARY and PostgreSQL's "C" collations order text (UTF-16 code units would not). */
function byCodePoint(a: VariantStats, b: VariantStats): number {
  return Buffer.compare(Buffer.from(a.variant), Buffer.from(b.variant));
}

/** Keeps every record for the life of the process; meant for tests and short-lived runs, not production. */
export function createMemoryUsageStore(assertOpen: () => void): UsageStore & UsageAnalytics {
  const rows: StoredUsage[] = [];
  const ids = new Set<string>();
  /** Insertion counter (rows shrink under retention, so their length would repeat a seq). */
  let nextSeq = 0;
  /** Feedback by experiment id, then by request id. */
  const feedback = new Map<string, Map<string, Feedback>>();

  /** Validates the whole batch before touching the store, so a bad record leaves nothing behind. */
  function stage(records: readonly UsageRecord[]): StoredUsage[] {
    const batchIds = new Set<string>();
    // A record delivered again (the journal delivers at least once) is stored once.
    return records.filter((record) => {
      if (ids.has(record.id) || batchIds.has(record.id)) return false;
      batchIds.add(record.id);
      return true;
    }).map((record, index) => {
      const startedAtMs = toEpochMs(record.startedAt, 'startedAt');
      return { record: { ...record }, startedAtMs, seq: nextSeq + index };
    });
  }

  return {
    ...createMemoryUsageAnalytics(rows, ids, assertOpen),
    async insertMany(records) {
      assertOpen();
      const staged = stage(records);
      nextSeq += staged.length;
      for (const stored of staged) {
        rows.push(stored);
        ids.add(stored.record.id);
      }
    },
    async list(query) {
      assertOpen();
      const limit = resolveUsageLimit(query.limit);
      return rows.filter(matcher(query)).sort(newestFirst).slice(0, limit).map((stored) => ({ ...stored.record }));
    },
    async variantStats(experimentId, since) {
      assertOpen();
      const sinceMs = since === undefined ? undefined : toEpochMs(since, 'since');
      const scores = feedback.get(experimentId);
      const byVariant = new Map<string, MutableStats>();
      for (const { record, startedAtMs } of rows) {
        if (record.experimentId !== experimentId || record.kind !== 'request' || record.variant === null) continue;
        if (sinceMs !== undefined && startedAtMs < sinceMs) continue;
        let stats = byVariant.get(record.variant);
        if (stats === undefined) byVariant.set(record.variant, (stats = emptyStats(record.variant)));
        const tokens = record.inputTokens + record.outputTokens + record.cachedInputTokens;
        stats.requests += 1;
        if (record.outcome === 'ok') stats.successes += 1;
        stats.latencySum += record.latencyMs;
        stats.latencySumSq += record.latencyMs * record.latencyMs;
        stats.costSum += record.costUsd;
        stats.costSumSq += record.costUsd * record.costUsd;
        stats.tokensSum += tokens;
        stats.tokensSumSq += tokens * tokens;
        const score = scores?.get(record.requestId)?.score;
        if (score !== undefined) {
          stats.feedbackCount += 1;
          stats.feedbackSum += score;
          stats.feedbackSumSq += score * score;
        }
      }
      return [...byVariant.values()].sort(byCodePoint);
    },
    async putFeedback(given) {
      assertOpen();
      checkFeedback(given);
      let scores = feedback.get(given.experimentId);
      if (scores === undefined) feedback.set(given.experimentId, (scores = new Map()));
      scores.set(given.requestId, { ...given });
    },
  };
}
