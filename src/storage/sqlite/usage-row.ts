/** How a UsageRecord maps to a usage_records row and back. */
import type { SQLInputValue } from 'node:sqlite';
import type { Endpoint, UsageKind, UsageOutcome, UsageRecord } from '../../usage/usage-record.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { readNullableNumber, readNullableText, readNumber, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';

const USAGE_COLUMNS = [
  'id', 'request_id', 'kind', 'attempt', 'started_at', 'started_at_ms', 'key_id', 'endpoint', 'stream', 'provider',
  'model_requested', 'model_served', 'status', 'outcome', 'error_code', 'input_tokens', 'output_tokens',
  'cached_input_tokens', 'cache_write_tokens', 'cost_usd', 'latency_ms', 'ttft_ms',
] as const;
type UsageColumn = (typeof USAGE_COLUMNS)[number];

const KINDS: Record<UsageKind, true> = { request: true, attempt: true };
const OUTCOMES: Record<UsageOutcome, true> = { ok: true, error: true, client_aborted: true };
const ENDPOINTS: Record<Endpoint, true> = { chat: true, embeddings: true, messages: true, count_tokens: true };

export const SELECT_USAGE_SQL = `SELECT ${USAGE_COLUMNS.join(', ')} FROM usage_records`;
export const INSERT_USAGE_SQL = `INSERT INTO usage_records (${USAGE_COLUMNS.join(', ')}) VALUES (${USAGE_COLUMNS.map((c) => `$${c}`).join(', ')})`;

export function usageToParams(record: UsageRecord): Record<UsageColumn, SQLInputValue> {
  return {
    id: record.id,
    request_id: record.requestId,
    kind: record.kind,
    attempt: record.attempt,
    started_at: record.startedAt,
    started_at_ms: toEpochMs(record.startedAt, 'startedAt'),
    key_id: record.keyId,
    endpoint: record.endpoint,
    stream: record.stream ? 1 : 0,
    provider: record.provider,
    model_requested: record.modelRequested,
    model_served: record.modelServed,
    status: record.status,
    outcome: record.outcome,
    error_code: record.errorCode,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cached_input_tokens: record.cachedInputTokens,
    cache_write_tokens: record.cacheWriteTokens,
    cost_usd: record.costUsd,
    latency_ms: record.latencyMs,
    ttft_ms: record.ttftMs,
  };
}

export function rowToUsage(row: Row): UsageRecord {
  return {
    id: readText(row, 'id'),
    requestId: readText(row, 'request_id'),
    kind: readOneOf(row, 'kind', KINDS),
    attempt: readNumber(row, 'attempt'),
    startedAt: readText(row, 'started_at'),
    keyId: readNullableText(row, 'key_id'),
    endpoint: readOneOf(row, 'endpoint', ENDPOINTS),
    stream: readNumber(row, 'stream') === 1,
    provider: readNullableText(row, 'provider'),
    modelRequested: readText(row, 'model_requested'),
    modelServed: readNullableText(row, 'model_served'),
    status: readNumber(row, 'status'),
    outcome: readOneOf(row, 'outcome', OUTCOMES),
    errorCode: readNullableText(row, 'error_code'),
    inputTokens: readNumber(row, 'input_tokens'),
    outputTokens: readNumber(row, 'output_tokens'),
    cachedInputTokens: readNumber(row, 'cached_input_tokens'),
    cacheWriteTokens: readNumber(row, 'cache_write_tokens'),
    costUsd: readNumber(row, 'cost_usd'),
    latencyMs: readNumber(row, 'latency_ms'),
    ttftMs: readNullableNumber(row, 'ttft_ms'),
  };
}
