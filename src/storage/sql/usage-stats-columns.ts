/** How a row of the usage analytics queries maps to GroupSums, the same in every SQL adapter. */
import type { UsageGroupBy } from '../ports.ts';
import type { GroupSums } from '../usage-figures.ts';
import { readNullableNumber, readNumber, type Row } from './read-column.ts';

/** The group of a request record, as SQL over usage_records (a day is days since 1970-01-01, integer division). */
export const RAW_GROUP_SQL: Readonly<Record<UsageGroupBy | 'all', string>> = {
  model: 'COALESCE(model_served, model_requested)',
  key: 'key_id',
  workspace: 'workspace_id',
  day: 'started_at_ms / 86400000',
  all: 'NULL',
};

/** The model filter: the same value the model group is (served, or asked for when no provider was reached). */
export const RAW_MODEL_SQL = RAW_GROUP_SQL.model;

function readGroupKey(row: Row): string | number | null {
  const value = row.grp;
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  throw new TypeError(`column grp holds ${JSON.stringify(String(value))}, expected text or a number`);
}

/** Reads the columns each adapter's analytics query names: counts and token sums as integers, the rest as floats. */
export function rowToGroupSums(row: Row): GroupSums {
  return {
    key: readGroupKey(row),
    requests: readNumber(row, 'requests'),
    errors: readNumber(row, 'errors'),
    inputTokens: readNumber(row, 'input_tokens'),
    outputTokens: readNumber(row, 'output_tokens'),
    cachedInputTokens: readNumber(row, 'cached_input_tokens'),
    cacheWriteTokens: readNumber(row, 'cache_write_tokens'),
    costUsd: readNumber(row, 'cost_usd'),
    latencySumMs: readNumber(row, 'latency_sum'),
    latencyP50: readNullableNumber(row, 'latency_p50'),
    latencyP95: readNullableNumber(row, 'latency_p95'),
    ttftCount: readNumber(row, 'ttft_count'),
    ttftSumMs: readNumber(row, 'ttft_sum'),
    ttftP50: readNullableNumber(row, 'ttft_p50'),
    ttftP95: readNullableNumber(row, 'ttft_p95'),
  };
}
