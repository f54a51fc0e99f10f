import type { SQLInputValue } from 'node:sqlite';
import type { UsageKind, UsageRecord } from '../../domain/usage-record.ts';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { UsageAnalytics, UsageGroupBy, UsageRange, UsageScan } from '../ports.ts';
import { resolvePageSize } from '../resolve-usage-limit.ts';
import { readNumber } from '../sql/read-column.ts';
import { RAW_GROUP_SQL, RAW_MODEL_SQL, rowToGroupSums } from '../sql/usage-stats-columns.ts';
import { rangeMs, rawCutoffMs, toGroups, totalsOf } from '../usage-figures.ts';
import { kindClause, ROW_COLUMNS, rowRecords } from './folded-usage.ts';
import type { StatementCache } from './statement-cache.ts';

/** Rows per retention DELETE: a few milliseconds of a synchronous write each, with the event loop served in between. */
const DELETE_BATCH_ROWS = 1000;

interface Filtered {
  readonly where: string;
  readonly params: Record<string, SQLInputValue>;
}

/** Only the filters given, each its own clause (one SQL text per combination, prepared once), so indexes apply. */
function filters(range: UsageRange, params: Record<string, SQLInputValue>): Filtered {
  const where: string[] = [];
  if (range.workspaceId !== undefined) {
    where.push('workspace_id = $workspaceId');
    params.workspaceId = range.workspaceId;
  }
  if (range.keyId !== undefined) {
    where.push('key_id = $keyId');
    params.keyId = range.keyId;
  }
  if (range.model !== undefined) {
    where.push(`${RAW_MODEL_SQL} = $model`);
    params.model = range.model;
  }
  return { where: where.map((clause) => ` AND ${clause}`).join(''), params };
}

/** Nearest-rank percentiles of one column per group: ROW_NUMBER over the group's values, rank ⌈p·n/100⌉. */
function percentilesSql(name: string, column: string): string {
  return `${name}_ranked AS (
      SELECT g, ${column} AS v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY ${column}) AS rn, COUNT(*) OVER (PARTITION BY g) AS n
      FROM r WHERE ${column} IS NOT NULL),
    ${name}_p AS (
      SELECT g, MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN v END) AS p50, MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN v END) AS p95
      FROM ${name}_ranked GROUP BY g)`;
}

/**
 * One statement per group and filter combination: the request records of the range read once (MATERIALIZED),
 * summed per group, and ranked per group for the percentiles. SUM over integer columns stays an integer; TOTAL()
 * over the real ones answers 0.0, not NULL, for an empty sum.
 */
function statsSql(by: UsageGroupBy | 'all', where: string): string {
  return `WITH r AS MATERIALIZED (
      SELECT ${RAW_GROUP_SQL[by]} AS g, outcome, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, latency_ms, ttft_ms
      FROM usage_records WHERE kind = 'request' AND started_at_ms >= $sinceMs AND started_at_ms < $untilMs${where}),
    sums AS (
      SELECT g, COUNT(*) AS requests, COUNT(CASE WHEN outcome <> 'ok' THEN 1 END) AS errors,
        SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cached_input_tokens) AS cached_input_tokens,
        SUM(cache_write_tokens) AS cache_write_tokens, TOTAL(cost_usd) AS cost_usd, TOTAL(latency_ms) AS latency_sum,
        COUNT(ttft_ms) AS ttft_count, TOTAL(ttft_ms) AS ttft_sum
      FROM r GROUP BY g),
    ${percentilesSql('latency', 'latency_ms')},
    ${percentilesSql('ttft', 'ttft_ms')}
    SELECT s.g AS grp, s.*, l.p50 AS latency_p50, l.p95 AS latency_p95, t.p50 AS ttft_p50, t.p95 AS ttft_p95
    FROM sums s LEFT JOIN latency_p l ON l.g IS s.g LEFT JOIN ttft_p t ON t.g IS s.g`;
}

const SCAN_COLUMNS = `rowid AS scan_seq, ${ROW_COLUMNS.join(', ')}`;

/**
 * One page of a scan, keyset-paged on (started_at_ms, rowid) from where the last page ended, so each page is an
 * index range read however deep the export is.
 */
function scanSql(where: string, kind: UsageKind | undefined): string {
  return `SELECT ${SCAN_COLUMNS} FROM usage_records
    WHERE started_at_ms >= $fromMs AND started_at_ms < $untilMs AND (started_at_ms > $fromMs OR rowid > $afterSeq)${where}${kind === undefined ? '' : ` AND ${kindClause(kind)}`}
    ORDER BY started_at_ms, rowid LIMIT $limit`;
}

const DELETE_OLD_SQL = `DELETE FROM usage_records WHERE rowid IN (SELECT rowid FROM usage_records WHERE started_at_ms < ? LIMIT ${DELETE_BATCH_ROWS})`;

/**
 * The embedded store's analytics. node:sqlite is synchronous, so each query holds the event loop while it runs:
 * they read the range through the started_at / workspace indexes, which is quick for small deployments; large
 * ranges over millions of records belong on PostgreSQL (docs/configuration.md#usage-analytics).
 */
export function createSqliteUsageAnalytics(statements: StatementCache): UsageAnalytics {
  function stats(range: UsageRange, by: UsageGroupBy | 'all') {
    const { sinceMs, untilMs } = rangeMs(range);
    const { where, params } = filters(range, { sinceMs, untilMs });
    return statements.get(statsSql(by, where)).all(params).map(rowToGroupSums);
  }

  return {
    async summarize(range) {
      return totalsOf(stats(range, 'all'));
    },
    async breakdown(range, by) {
      return toGroups(stats(range, by), by);
    },
    async *scan(query: UsageScan) {
      const { sinceMs, untilMs } = rangeMs(query);
      const limit = resolvePageSize(query.pageSize);
      const { where, params } = filters(query, { untilMs, limit, fromMs: sinceMs, afterSeq: Number.MIN_SAFE_INTEGER });
      const statement = statements.get(scanSql(where, query.kind));
      // A folded row gives back two records (its attempt first): pages of pageSize records are cut from these.
      let pending: UsageRecord[] = [];
      for (;;) {
        const rows = statement.all(params);
        for (const row of rows) pending.push(...rowRecords(row, query.kind));
        while (pending.length >= limit) {
          yield pending.slice(0, limit);
          pending = pending.slice(limit);
        }
        const last = rows.at(-1);
        if (rows.length < limit || last === undefined) break;
        params.fromMs = readNumber(last, 'started_at_ms');
        params.afterSeq = readNumber(last, 'scan_seq');
      }
      if (pending.length > 0) yield pending;
    },
    async maintain(job) {
      let rawDeleted = 0;
      if (job.retention) {
        const statement = statements.get(DELETE_OLD_SQL);
        const cutoff = rawCutoffMs(job.now, job.rawDays);
        for (;;) {
          const deleted = Number(statement.run(cutoff).changes);
          rawDeleted += deleted;
          if (deleted < DELETE_BATCH_ROWS) break;
          await yieldToLoop();
        }
      }
      return { ran: true, hoursRolledUp: 0, rawDeleted, rollupsDeleted: 0 };
    },
  };
}
