/**
 * PostgreSQL's hourly and daily roll-ups of the request records (per hour or day × workspace × key × model ×
 * provider: counts, tokens, cost, latency sums and latency histograms), and the job that keeps them: every run
 * recomputes whole hours from the raw records with INSERT … ON CONFLICT DO UPDATE, so running it again changes
 * nothing. An hour is rolled up once it ended SETTLE_MS ago; records that arrive later for an hour already rolled
 * up (a journal read back after an outage) are found by their insertion order (`seq`) and their hour recomputed.
 * Each run looks at the records inserted up to the newest seq the previous run saw, never further: a seq is
 * taken before its INSERT commits, so a newer one may still be in flight, but not one a whole run interval old
 * (usage inserts are single statements, bounded by the statement timeout). Late records thus show within two runs.
 * A key or workspace of none is '' in the roll-ups (their primary key cannot hold NULL).
 */
import { readNullableNumber, readNumber } from '../sql/read-column.ts';
import { DAY_MS, HOUR_MS, rawCutoffMs } from '../usage-figures.ts';
import { bucketSql } from './latency-histogram.ts';
import type { SqlClient } from './postgres-pool.ts';

/** How long after its end an hour is rolled up: the usage writer's flush interval and batching, with room to spare. */
const SETTLE_MS = 2 * 60_000;
/** Hours caught up per run (after a long stop, or the first run over an existing table); the rest follow next runs. */
const MAX_CATCH_UP_HOURS = 48;
/**
 * The first run reads every record there is, but an INSERT in flight at that moment may hold an older seq: the
 * second run looks at this many insertions before the first run's newest again (once).
 */
const FIRST_RUN_SEQ_MARGIN = 10_000;
/** Insertions looked at per run for late records, so a huge read-back is spread over runs. */
const SEQ_STEP = 1_000_000;
/** One hour's recompute can read a few hundred thousand records: more than the pool's default statement timeout. */
const JOB_STATEMENT_TIMEOUT_MS = 60_000;

export const ROLLUP_TABLES = ['usage_rollups_hourly', 'usage_rollups_daily'] as const;

const SUM_COLUMNS = ['requests', 'errors', 'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'cost_usd', 'latency_sum_ms', 'ttft_count', 'ttft_sum_ms'] as const;
const COLUMNS = ['bucket_ms', 'workspace_id', 'key_id', 'model', 'provider', ...SUM_COLUMNS, 'latency_buckets', 'latency_counts', 'ttft_buckets', 'ttft_counts'];
const DIMS = 'ws, k, m, p';

/** The upsert of `t` (sums per dims), `lh` and `th` (histograms per dims) into `table` for bucket $1. */
function upsertSql(table: string): string {
  return `INSERT INTO ${table} (${COLUMNS.join(', ')})
    SELECT $1::bigint, ${DIMS}, ${SUM_COLUMNS.map((c) => `t.${c}`).join(', ')},
      COALESCE(lh.bs, '{}'), COALESCE(lh.cs, '{}'), COALESCE(th.bs, '{}'), COALESCE(th.cs, '{}')
    FROM t LEFT JOIN lh USING (${DIMS}) LEFT JOIN th USING (${DIMS})
    ON CONFLICT (bucket_ms, workspace_id, key_id, model, provider) DO UPDATE SET
      ${COLUMNS.slice(5).map((c) => `${c} = excluded.${c}`).join(', ')}`;
}

/** Sparse histogram per dims from rows (dims, b, c). */
function sparseSql(name: string, counted: string): string {
  return `${name} AS (SELECT ${DIMS}, array_agg(b ORDER BY b) AS bs, array_agg(c ORDER BY b) AS cs FROM (${counted}) x GROUP BY ${DIMS})`;
}

/** One hour ($1, epoch ms) recomputed from its request records. Sums over bigint answer numeric: cast back. */
const HOURLY_SQL = `WITH r AS (
    SELECT COALESCE(workspace_id, '') AS ws, COALESCE(key_id, '') AS k, COALESCE(model_served, model_requested) AS m, COALESCE(provider, '') AS p,
      outcome, input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, cost_usd, latency_ms, ttft_ms
    FROM usage_records WHERE kind = 'request' AND started_at_ms >= $1 AND started_at_ms < $1 + ${HOUR_MS}),
  t AS (
    SELECT ${DIMS}, count(*) AS requests, count(*) FILTER (WHERE outcome <> 'ok') AS errors,
      sum(input_tokens)::bigint AS input_tokens, sum(output_tokens)::bigint AS output_tokens,
      sum(cached_input_tokens)::bigint AS cached_input_tokens, sum(cache_write_tokens)::bigint AS cache_write_tokens,
      sum(cost_usd) AS cost_usd, sum(latency_ms) AS latency_sum_ms, count(ttft_ms) AS ttft_count, COALESCE(sum(ttft_ms), 0) AS ttft_sum_ms
    FROM r GROUP BY ${DIMS}),
  ${sparseSql('lh', `SELECT ${DIMS}, ${bucketSql('latency_ms')} AS b, count(*) AS c FROM r GROUP BY ${DIMS}, b`)},
  ${sparseSql('th', `SELECT ${DIMS}, ${bucketSql('ttft_ms')} AS b, count(*) AS c FROM r WHERE ttft_ms IS NOT NULL GROUP BY ${DIMS}, b`)}
  ${upsertSql('usage_rollups_hourly')}`;

/** One day ($1, epoch ms) recomputed from its hourly roll-ups, histograms merged bucket by bucket. */
const DAILY_SQL = `WITH h AS (
    SELECT workspace_id AS ws, key_id AS k, model AS m, provider AS p, * FROM usage_rollups_hourly WHERE bucket_ms >= $1 AND bucket_ms < $1 + ${DAY_MS}),
  t AS (
    SELECT ${DIMS}, ${SUM_COLUMNS.map((c) => (c === 'cost_usd' || c.endsWith('_ms') ? `sum(${c}) AS ${c}` : `sum(${c})::bigint AS ${c}`)).join(', ')}
    FROM h GROUP BY ${DIMS}),
  ${sparseSql('lh', `SELECT ${DIMS}, u.b, sum(u.c)::bigint AS c FROM h, unnest(h.latency_buckets, h.latency_counts) AS u(b, c) GROUP BY ${DIMS}, u.b`)},
  ${sparseSql('th', `SELECT ${DIMS}, u.b, sum(u.c)::bigint AS c FROM h, unnest(h.ttft_buckets, h.ttft_counts) AS u(b, c) GROUP BY ${DIMS}, u.b`)}
  ${upsertSql('usage_rollups_daily')}`;

/** Where the roll-ups end: every hour before it is rolled up; 0 while none is. */
export async function rolledUntil(db: SqlClient): Promise<number> {
  const { rows } = await db.query('SELECT rolled_until_ms FROM usage_rollup_state');
  return rows[0] === undefined ? 0 : readNumber(rows[0], 'rolled_until_ms');
}

/**
 * The hours of records inserted in (fromSeq, toSeq] that lie in hours already rolled up, but not before keepFrom:
 * hours before the retention cutoff may have lost records, and recomputing one would drop what it had.
 */
async function lateHours(db: SqlClient, fromSeq: number, toSeq: number, rolledUntilMs: number, keepFrom: number): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT started_at_ms / ${HOUR_MS} * ${HOUR_MS} AS hour FROM usage_records
     WHERE seq > $1 AND seq <= $2 AND kind = 'request' AND started_at_ms < $3 AND started_at_ms >= $4 ORDER BY hour`,
    [fromSeq, toSeq, rolledUntilMs, keepFrom]);
  return rows.map((row) => readNumber(row, 'hour'));
}

interface Progress {
  /** Where the roll-ups end before this run. */
  readonly from: number;
  /** Records up to this seq are accounted for after this run. */
  readonly lastSeq: number;
  readonly late: readonly number[];
}

/** Where this run starts: after the last run, or (first run) at the oldest record's hour. */
async function progress(db: SqlClient, now: number, rawDays: number, maxSeq: number): Promise<Progress> {
  const { rows } = await db.query('SELECT rolled_until_ms, last_seq, seen_seq FROM usage_rollup_state');
  const state = rows[0];
  if (state === undefined) {
    const oldest = readNullableNumber((await db.query('SELECT min(started_at_ms) AS oldest FROM usage_records')).rows[0] ?? { oldest: null }, 'oldest');
    const from = oldest === null ? Math.floor((now - SETTLE_MS) / HOUR_MS) * HOUR_MS : Math.floor(oldest / HOUR_MS) * HOUR_MS;
    // Every record there is now lies at or after `from`: the catch-up reads them all, none is late.
    return { from, lastSeq: Math.max(0, maxSeq - FIRST_RUN_SEQ_MARGIN), late: [] };
  }
  const from = readNumber(state, 'rolled_until_ms');
  const fromSeq = readNumber(state, 'last_seq');
  const lastSeq = Math.max(fromSeq, Math.min(readNumber(state, 'seen_seq'), fromSeq + SEQ_STEP));
  return { from, lastSeq, late: lastSeq === fromSeq ? [] : await lateHours(db, fromSeq, lastSeq, from, rawCutoffMs(now, rawDays)) };
}

function hoursBetween(from: number, to: number): number[] {
  const hours: number[] = [];
  for (let hour = from; hour < to; hour += HOUR_MS) hours.push(hour);
  return hours;
}

/**
 * One run of the roll-up job, inside the caller's transaction (which holds the job's lock): late hours
 * recomputed, then up to MAX_CATCH_UP_HOURS closed hours rolled up, the days they touch recomputed from their
 * hours, and the new end recorded. Returns the hours recomputed.
 */
export async function rollUp(db: SqlClient, now: number, rawDays: number): Promise<number> {
  await db.query(`SET LOCAL statement_timeout = ${JOB_STATEMENT_TIMEOUT_MS}`);
  const maxSeq = readNumber((await db.query('SELECT COALESCE(max(seq), 0) AS max_seq FROM usage_records')).rows[0] ?? {}, 'max_seq');
  const { from, lastSeq, late } = await progress(db, now, rawDays, maxSeq);
  const closedBefore = Math.floor((now - SETTLE_MS) / HOUR_MS) * HOUR_MS;
  const to = Math.max(from, Math.min(closedBefore, from + MAX_CATCH_UP_HOURS * HOUR_MS));
  const hours = [...late, ...hoursBetween(from, to)];
  for (const hour of hours) await db.query(HOURLY_SQL, [hour]);
  for (const day of new Set(hours.map((hour) => Math.floor(hour / DAY_MS) * DAY_MS))) await db.query(DAILY_SQL, [day]);
  await db.query(
    `INSERT INTO usage_rollup_state (id, rolled_until_ms, last_seq, seen_seq, updated_at) VALUES (true, $1, $2, $3, now())
     ON CONFLICT (id) DO UPDATE SET rolled_until_ms = excluded.rolled_until_ms, last_seq = excluded.last_seq, seen_seq = excluded.seen_seq, updated_at = now()`,
    [to, lastSeq, maxSeq]);
  return hours.length;
}
