import type { UsageAnalytics, UsageGroupBy, UsageMaintenance, UsageMaintenanceReport, UsageRange, UsageScan } from '../ports.ts';
import { resolvePageSize } from '../resolve-usage-limit.ts';
import { planRange, rawOnly, type RollupPlan, type Span } from '../rollup-plan.ts';
import { readNumber } from '../sql/read-column.ts';
import type { SqlValue } from '../sql/sql-value.ts';
import { rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';
import { RAW_GROUP_SQL, RAW_MODEL_SQL, rowToGroupSums } from '../sql/usage-stats-columns.ts';
import { DAY_MS, rangeMs, rawCutoffMs, toGroups, totalsOf, type GroupSums } from '../usage-figures.ts';
import { bucketSql, histogramPercentilesSql } from './latency-histogram.ts';
import type { PostgresPool, SqlClient } from './postgres-pool.ts';
import { rolledUntil, rollUp, ROLLUP_TABLES } from './usage-rollups.ts';

type Group = UsageGroupBy | 'all';

/** Rows per retention DELETE, each its own short transaction. */
const DELETE_BATCH_ROWS = 5000;
const LOCK_ARGS = "hashtext('switchboard.usage_maintenance'), hashtext(current_schema())";

/** The group of a roll-up row: the same values as RAW_GROUP_SQL ('' back to NULL). */
const ROLLUP_GROUP_SQL: Readonly<Record<Group, string>> = {
  model: 'model', key: "NULLIF(key_id, '')", workspace: "NULLIF(workspace_id, '')", day: `bucket_ms / ${DAY_MS}`, all: 'NULL::text',
};

/** Positional parameters, added as the statement is written. */
class Params {
  readonly values: SqlValue[] = [];
  add(value: SqlValue): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The range's filters as clauses on raw records or roll-up rows (only those given, so indexes apply). */
function filterSql(range: UsageRange, params: Params, rollup: boolean): string {
  let where = '';
  if (range.workspaceId !== undefined) where += ` AND workspace_id = ${params.add(range.workspaceId)}`;
  if (range.keyId !== undefined) where += ` AND key_id = ${params.add(range.keyId)}`;
  if (range.model !== undefined) where += ` AND ${rollup ? 'model' : RAW_MODEL_SQL} = ${params.add(range.model)}`;
  return where;
}

function spansSql(column: string, spans: readonly Span[], params: Params): string {
  if (spans.length === 0) return 'false';
  return `(${spans.map(([from, to]) => `(${column} >= ${params.add(from)} AND ${column} < ${params.add(to)})`).join(' OR ')})`;
}

const SUMS_SQL = `count(*) AS requests, count(*) FILTER (WHERE outcome <> 'ok') AS errors,
  COALESCE(sum(input_tokens), 0)::bigint AS input_tokens, COALESCE(sum(output_tokens), 0)::bigint AS output_tokens,
  COALESCE(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens, COALESCE(sum(cache_write_tokens), 0)::bigint AS cache_write_tokens,
  COALESCE(sum(cost_usd), 0) AS cost_usd, COALESCE(sum(latency_ms), 0) AS latency_sum,
  count(ttft_ms) AS ttft_count, COALESCE(sum(ttft_ms), 0) AS ttft_sum`;

/** Exact: every request record of the range, percentiles by percentile_disc (nearest rank; NULL ttft ignored). */
function exactSql(range: UsageRange, by: Group, sinceMs: number, untilMs: number, params: Params): string {
  return `SELECT ${RAW_GROUP_SQL[by]} AS grp, ${SUMS_SQL},
      percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS latency_p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS latency_p95,
      percentile_disc(0.5) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY ttft_ms) AS ttft_p95
    FROM usage_records
    WHERE kind = 'request' AND started_at_ms >= ${params.add(sinceMs)} AND started_at_ms < ${params.add(untilMs)}${filterSql(range, params, false)}
    GROUP BY 1`;
}

function rollupRowsSql(table: string, by: Group, spans: readonly Span[], range: UsageRange, params: Params): string {
  return `SELECT ${ROLLUP_GROUP_SQL[by]} AS g, requests, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd,
      latency_sum_ms, ttft_count, ttft_sum_ms, latency_buckets, latency_counts, ttft_buckets, ttft_counts
    FROM ${table} WHERE ${spansSql('bucket_ms', spans, params)}${filterSql(range, params, true)}`;
}

/**
 * Roll-ups for the whole hours and days, raw records for the rest (RollupPlan): sums added up, histograms merged
 * (raw edges bucketed the same way), percentiles read from the merged histogram.
 */
function approximateSql(range: UsageRange, by: Group, plan: RollupPlan, params: Params): string {
  const histogram = (name: string, column: string) => `${name}_hist AS (
      SELECT g, b, sum(c)::bigint AS c FROM (
        SELECT g, ${bucketSql(column)} AS b, count(*) AS c FROM raw WHERE ${column} IS NOT NULL GROUP BY g, b
        UNION ALL SELECT g, u.b, u.c FROM roll, unnest(roll.${name}_buckets, roll.${name}_counts) AS u(b, c)) x
      GROUP BY g, b)`;
  return `WITH raw AS (
      SELECT ${RAW_GROUP_SQL[by]} AS g, outcome, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, latency_ms, ttft_ms
      FROM usage_records WHERE kind = 'request' AND ${spansSql('started_at_ms', plan.raw, params)}${filterSql(range, params, false)}),
    roll AS (
      ${rollupRowsSql('usage_rollups_hourly', by, plan.hourly, range, params)}
      UNION ALL ${rollupRowsSql('usage_rollups_daily', by, plan.daily, range, params)}),
    sums AS (
      SELECT g, sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, sum(input_tokens)::bigint AS input_tokens,
        sum(output_tokens)::bigint AS output_tokens, sum(cached_input_tokens)::bigint AS cached_input_tokens,
        sum(cache_write_tokens)::bigint AS cache_write_tokens, sum(cost_usd) AS cost_usd, sum(latency_sum) AS latency_sum,
        sum(ttft_count)::bigint AS ttft_count, sum(ttft_sum) AS ttft_sum
      FROM (SELECT g, ${SUMS_SQL} FROM raw GROUP BY g
        UNION ALL SELECT g, requests, errors, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, latency_sum_ms, ttft_count, ttft_sum_ms FROM roll) parts
      GROUP BY g),
    ${histogram('latency', 'latency_ms')},
    ${histogram('ttft', 'ttft_ms')},
    ${histogramPercentilesSql('latency')},
    ${histogramPercentilesSql('ttft')}
    SELECT s.g AS grp, s.*, l.p50 AS latency_p50, l.p95 AS latency_p95, t.p50 AS ttft_p50, t.p95 AS ttft_p95
    FROM sums s LEFT JOIN latency_p l ON l.g IS NOT DISTINCT FROM s.g LEFT JOIN ttft_p t ON t.g IS NOT DISTINCT FROM s.g`;
}

/** One page of a scan, keyset-paged on (started_at_ms, seq) like SQLite's on rowid. */
function scanSql(query: UsageScan, params: Params, untilMs: number, limit: number): string {
  const kind = query.kind === undefined ? '' : ` AND kind = ${params.add(query.kind)}`;
  return `SELECT seq AS scan_seq, ${USAGE_COLUMNS.join(', ')} FROM usage_records
    WHERE started_at_ms >= $1 AND started_at_ms < ${params.add(untilMs)} AND (started_at_ms > $1 OR seq > $2)${filterSql(query, params, false)}${kind}
    ORDER BY started_at_ms, seq LIMIT ${params.add(limit)}`;
}

/** Deletes rows of `table` older than `cutoff` in batches, skipping rows another replica is deleting. */
async function deleteOlder(db: SqlClient, table: string, column: string, cutoff: number): Promise<number> {
  const sql = `DELETE FROM ${table} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${table} WHERE ${column} < $1 LIMIT ${DELETE_BATCH_ROWS} FOR UPDATE SKIP LOCKED))`;
  let total = 0;
  for (;;) {
    const deleted = (await db.query(sql, [cutoff])).rowCount ?? 0;
    total += deleted;
    if (deleted < DELETE_BATCH_ROWS) return total;
  }
}

async function inTransaction<T>(db: SqlClient, work: () => Promise<T>): Promise<T> {
  await db.query('BEGIN');
  try {
    const result = await work();
    await db.query('COMMIT');
    return result;
  } catch (error) {
    await db.query('ROLLBACK');
    throw error;
  }
}

/** Roll-ups, then retention: raw records only once their hours are rolled up (with roll-ups on). */
async function maintainLocked(db: SqlClient, job: UsageMaintenance): Promise<UsageMaintenanceReport> {
  const hoursRolledUp = job.rollups ? await inTransaction(db, () => rollUp(db, job.now, job.rawDays)) : 0;
  if (!job.retention) return { ran: true, hoursRolledUp, rawDeleted: 0, rollupsDeleted: 0 };
  const rawCutoff = rawCutoffMs(job.now, job.rawDays);
  const rawDeleted = await deleteOlder(db, 'usage_records', 'started_at_ms', job.rollups ? Math.min(rawCutoff, await rolledUntil(db)) : rawCutoff);
  const rollupCutoff = Math.floor((job.now - job.rollupDays * DAY_MS) / DAY_MS) * DAY_MS;
  let rollupsDeleted = 0;
  for (const table of ROLLUP_TABLES) rollupsDeleted += await deleteOlder(db, table, 'bucket_ms', rollupCutoff);
  return { ran: true, hoursRolledUp, rawDeleted, rollupsDeleted };
}

/**
 * PostgreSQL's analytics: exact over raw records while the range holds no rolled-up hour; otherwise roll-ups for
 * the whole hours and days and raw records for the edges (src/storage/rollup-plan.ts), percentiles from the
 * latency histograms. Queries are bounded by the pool's statement timeout.
 */
export function createPostgresUsageAnalytics(pool: PostgresPool): UsageAnalytics {
  async function stats(range: UsageRange, by: Group): Promise<GroupSums[]> {
    const { sinceMs, untilMs } = rangeMs(range);
    const params = new Params();
    const plan = planRange(sinceMs, untilMs, untilMs > sinceMs ? await rolledUntil(pool) : 0);
    const sql = rawOnly(plan) ? exactSql(range, by, sinceMs, untilMs, params) : approximateSql(range, by, plan, params);
    return (await pool.query(sql, params.values)).rows.map(rowToGroupSums);
  }

  return {
    async summarize(range) {
      return totalsOf(await stats(range, 'all'));
    },
    async breakdown(range, by) {
      return toGroups(await stats(range, by), by);
    },
    async *scan(query) {
      const { sinceMs, untilMs } = rangeMs(query);
      const limit = resolvePageSize(query.pageSize);
      const params = new Params();
      params.add(sinceMs);
      params.add(Number.MIN_SAFE_INTEGER);
      const sql = scanSql(query, params, untilMs, limit);
      for (;;) {
        const { rows } = await pool.query(sql, params.values);
        if (rows.length > 0) yield rows.map(rowToUsage);
        const last = rows.at(-1);
        if (rows.length < limit || last === undefined) return;
        params.values[0] = readNumber(last, 'started_at_ms');
        params.values[1] = readNumber(last, 'scan_seq');
      }
    },
    async maintain(job) {
      return pool.session(async (db) => {
        const { rows } = await db.query(`SELECT pg_try_advisory_lock(${LOCK_ARGS}) AS got`);
        if (rows[0]?.got !== true) return { ran: false, hoursRolledUp: 0, rawDeleted: 0, rollupsDeleted: 0 };
        try {
          return await maintainLocked(db, job);
        } finally {
          await db.query(`SELECT pg_advisory_unlock(${LOCK_ARGS})`);
        }
      });
    },
  };
}
