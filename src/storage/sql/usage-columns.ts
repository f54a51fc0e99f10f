/** How a UsageRecord maps to a usage_records row and back, the same in every SQL adapter. */
import type { Endpoint, UsageKind, UsageOutcome, UsageRecord } from '../../domain/usage-record.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { readFlag, readNullableNumber, readNullableText, readNumber, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';
import type { SqlValue } from './sql-value.ts';

export const USAGE_COLUMNS = [
  'id', 'request_id', 'kind', 'attempt', 'started_at', 'started_at_ms', 'key_id', 'endpoint', 'stream', 'provider',
  'model_requested', 'model_served', 'status', 'outcome', 'error_code', 'input_tokens', 'output_tokens',
  'cached_input_tokens', 'cache_write_tokens', 'cost_usd', 'latency_ms', 'ttft_ms',
  'workspace_id', 'agent_type', 'user_id', 'rule_id', 'experiment_id', 'variant',
  'reasoning_tokens', 'retries', 'fallback_chain',
] as const;

const KINDS: Record<UsageKind, true> = { request: true, attempt: true };
const OUTCOMES: Record<UsageOutcome, true> = { ok: true, error: true, client_aborted: true };
const ENDPOINTS: Record<Endpoint, true> = { chat: true, embeddings: true, messages: true, count_tokens: true, responses: true };

/** The last startedAt parsed: a batch's records come in time order, many in the same millisecond. */
let lastStartedAt = '';
let lastStartedMs = 0;

function startedMs(startedAt: string): number {
  if (startedAt !== lastStartedAt) {
    lastStartedMs = toEpochMs(startedAt, 'startedAt');
    lastStartedAt = startedAt;
  }
  return lastStartedMs;
}

/** Appends one record's values to `out` in USAGE_COLUMNS order; throws RangeError on a startedAt that is not a time. */
export function pushUsageValues(record: UsageRecord, out: SqlValue[]): void {
  out.push(
    record.id, record.requestId, record.kind, record.attempt, record.startedAt, startedMs(record.startedAt),
    record.keyId, record.endpoint, record.stream ? 1 : 0, record.provider, record.modelRequested, record.modelServed,
    record.status, record.outcome, record.errorCode, record.inputTokens, record.outputTokens, record.cachedInputTokens,
    record.cacheWriteTokens, record.costUsd, record.latencyMs, record.ttftMs,
    record.workspaceId, record.agentType, record.userId, record.ruleId, record.experimentId, record.variant,
    record.reasoningTokens, record.retries, JSON.stringify(record.fallbackChain),
  );
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
    stream: readFlag(row, 'stream'),
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
    workspaceId: readNullableText(row, 'workspace_id'),
    agentType: readNullableText(row, 'agent_type'),
    userId: readNullableText(row, 'user_id'),
    ruleId: readNullableText(row, 'rule_id'),
    experimentId: readNullableText(row, 'experiment_id'),
    variant: readNullableText(row, 'variant'),
    reasoningTokens: readNumber(row, 'reasoning_tokens'),
    retries: readNumber(row, 'retries'),
    fallbackChain: readLabels(row, 'fallback_chain'),
  };
}

/** A JSON array of strings, as pushUsageValues writes it; anything else in the column is a corrupt row. */
function readLabels(row: Row, column: string): string[] {
  const parsed: unknown = JSON.parse(readText(row, column));
  if (!Array.isArray(parsed) || !parsed.every((l) => typeof l === 'string')) throw new Error(`usage_records.${column} is not a list of labels`);
  return parsed as string[];
}
