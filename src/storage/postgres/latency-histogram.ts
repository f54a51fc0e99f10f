/**
 * Fixed log-spaced latency buckets, the roll-ups' stand-in for the raw times (no t-digest): bucket 0 holds
 * [0, 1) ms, bucket b ≥ 1 holds [2^((b-1)/8), 2^(b/8)) ms, eight per doubling, up to bucket 192 (2^24 ms, some
 * 4.7 hours, which also holds anything longer). A percentile read from the buckets is the geometric middle of the
 * bucket that holds the nearest-rank value, so it is within a factor 2^(1/16) of it: at most 4.43 % off (under
 * 1 ms: at most 0.5 ms off). Buckets are kept sparse, as two aligned arrays (indices, counts) per roll-up row, and
 * merge by adding counts of equal indices.
 */

export const BUCKETS_PER_DOUBLING = 8;
export const MAX_BUCKET = 24 * BUCKETS_PER_DOUBLING;
/** The largest relative error of a percentile read from the buckets (for values of 1 ms or more). */
export const RELATIVE_ERROR_BOUND = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1;

/** The bucket of a double precision SQL expression of ms; never NULL (LEAST skips a NULL), so leave NULL times out first. */
export function bucketSql(ms: string): string {
  return `(CASE WHEN ${ms} < 1 THEN 0 ELSE LEAST(${MAX_BUCKET}, 1 + floor(ln(${ms}) * ${BUCKETS_PER_DOUBLING / Math.LN2}))::int END)`;
}

/** The value a percentile in bucket `bucket` (an SQL expression) is read as. */
export function bucketValueSql(bucket: string): string {
  return `(CASE WHEN ${bucket} = 0 THEN 0.5 ELSE power(2::double precision, (${bucket} - 0.5) / ${BUCKETS_PER_DOUBLING}) END)`;
}

/**
 * CTEs `<name>_p (g, p50, p95)`: nearest-rank percentiles per group from `<name>_hist (g, b, c)`, one row per
 * group and bucket with its count: the first bucket whose running count reaches the rank ⌈p·n/100⌉.
 */
export function histogramPercentilesSql(name: string): string {
  return `${name}_cum AS (
      SELECT g, b, (sum(c) OVER (PARTITION BY g ORDER BY b))::bigint AS cum, (sum(c) OVER (PARTITION BY g))::bigint AS n FROM ${name}_hist),
    ${name}_p AS (
      SELECT g, ${bucketValueSql('min(b) FILTER (WHERE cum >= (50 * n + 99) / 100)')} AS p50,
        ${bucketValueSql('min(b) FILTER (WHERE cum >= (95 * n + 99) / 100)')} AS p95
      FROM ${name}_cum GROUP BY g)`;
}
