/**
 * The arithmetic every usage store shares once it has summed a group: rates, means, the percentile rank, the day
 * key and the order of groups, so that the adapters differ only in how they sum and rank.
 */
import type { TimeFigures, UsageFigures, UsageGroup, UsageGroupBy, UsageRange } from './ports.ts';
import { toEpochMs } from './to-epoch-ms.ts';

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

/** What an adapter computes for one group; `key` is a day number (days since 1970-01-01 UTC) when grouping by day. */
export interface GroupSums {
  readonly key: string | number | null;
  readonly requests: number;
  readonly errors: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
  readonly latencySumMs: number;
  readonly latencyP50: number | null;
  readonly latencyP95: number | null;
  readonly ttftCount: number;
  readonly ttftSumMs: number;
  readonly ttftP50: number | null;
  readonly ttftP95: number | null;
}

/**
 * Retention's cutoff for raw records: the start of the hour that now − rawDays falls in, so whole hours go at once
 * (an hour is never left half deleted, which a roll-up recomputing it would take for the whole).
 */
export function rawCutoffMs(now: number, rawDays: number): number {
  return Math.floor((now - rawDays * DAY_MS) / HOUR_MS) * HOUR_MS;
}

/** A range's bounds as epoch ms; rejects (RangeError) a bound that is not a time. */
export function rangeMs(range: UsageRange): { readonly sinceMs: number; readonly untilMs: number } {
  return { sinceMs: toEpochMs(range.since, 'since'), untilMs: toEpochMs(range.until, 'until') };
}

/**
 * The 1-based rank of the nearest-rank percentile among n sorted values: ⌈percent·n/100⌉ in integer arithmetic,
 * which is what PostgreSQL's percentile_disc computes and what the SQLite query writes as (percent·n + 99) / 100.
 */
export function percentileRank(n: number, percent: number): number {
  return Math.floor((percent * n + 99) / 100);
}

/** The nearest-rank percentile of values sorted ascending; null when there are none. */
export function nearestRank(sorted: readonly number[], percent: number): number | null {
  return sorted.length === 0 ? null : sorted[percentileRank(sorted.length, percent) - 1] ?? null;
}

/** "YYYY-MM-DD" of a day number. */
export function dayKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function times(count: number, sum: number, p50: number | null, p95: number | null): TimeFigures {
  return { mean: count === 0 ? null : sum / count, p50, p95 };
}

function figuresOf(s: GroupSums): UsageFigures {
  return {
    requests: s.requests, errors: s.errors, errorRate: s.requests === 0 ? 0 : s.errors / s.requests,
    inputTokens: s.inputTokens, outputTokens: s.outputTokens, cachedInputTokens: s.cachedInputTokens, cacheWriteTokens: s.cacheWriteTokens,
    costUsd: s.costUsd,
    latencyMs: times(s.requests, s.latencySumMs, s.latencyP50, s.latencyP95),
    ttftMs: times(s.ttftCount, s.ttftSumMs, s.ttftP50, s.ttftP95),
  };
}

export const EMPTY_FIGURES: UsageFigures = Object.freeze(figuresOf({
  key: null, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, costUsd: 0,
  latencySumMs: 0, latencyP50: null, latencyP95: null, ttftCount: 0, ttftSumMs: 0, ttftP50: null, ttftP95: null,
}));

/** Null first, then by code point (SQLite's BINARY and PostgreSQL's "C" order; ISO days sort chronologically). */
function byKey(a: UsageGroup, b: UsageGroup): number {
  if (a.key === null || b.key === null) return a.key === b.key ? 0 : a.key === null ? -1 : 1;
  return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
}

/** The groups as the port answers them: figures, day keys as dates, sorted. */
export function toGroups(rows: readonly GroupSums[], by: UsageGroupBy): UsageGroup[] {
  return rows.map((s) => ({
    key: s.key === null ? null : by === 'day' ? dayKey(Number(s.key)) : String(s.key),
    ...figuresOf(s),
  })).sort(byKey);
}

/** summarize() as one group of everything: its figures, or zeros when there was no record. */
export function totalsOf(rows: readonly GroupSums[]): UsageFigures {
  const [only] = rows;
  return only === undefined ? EMPTY_FIGURES : figuresOf(only);
}
