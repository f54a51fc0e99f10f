import type { UsageKind, UsageRecord } from '../../domain/usage-record.ts';
import { readNullableNumber, readNullableText, readNumber, type Row } from '../sql/read-column.ts';
import { rowToUsage, USAGE_COLUMNS } from '../sql/usage-columns.ts';

/**
 * A request answered by its first attempt is most requests, and its attempt record repeats the request's: the
 * same key, model, provider, status, tokens and cost. The embedded store keeps such a pair as one row, the request
 * with the attempt's id, latency and time to first byte in three more columns, because a row is the largest cost
 * of recording (two rows were about 18 µs of CPU per request, bench: usage-insert); reads give both records back
 * as they came. Only a pair that came one right after the other (the executor records them back to back) and
 * started in the same millisecond is folded, so ordering by time and insertion order is exactly the unfolded one.
 */
export const FOLD_COLUMNS = ['attempt_id', 'attempt_latency_ms', 'attempt_ttft_ms'] as const;

/** A row of the SQLite usage table: the record's columns, then the folded attempt's. */
export const ROW_COLUMNS: readonly string[] = [...USAGE_COLUMNS, ...FOLD_COLUMNS];

/** One row to write: a record, with the attempt folded into it when there is one. */
export interface PlannedRow {
  readonly record: UsageRecord;
  readonly folded: UsageRecord | null;
}

/** Whether `attempt` is the only attempt of `request` and repeats its fields: the pair can be one row. */
export function foldable(attempt: UsageRecord, request: UsageRecord): boolean {
  return attempt.kind === 'attempt' && request.kind === 'request' && attempt.attempt === 1 && attempt.retries === 0
    && request.retries === 0 && attempt.fallbackChain.length === 0 && attempt.requestId === request.requestId
    && attempt.startedAt === request.startedAt && attempt.keyId === request.keyId && attempt.endpoint === request.endpoint
    && attempt.stream === request.stream && attempt.provider === request.provider && attempt.modelRequested === request.modelRequested
    && attempt.modelServed === request.modelServed && attempt.status === request.status && attempt.outcome === request.outcome
    && attempt.errorCode === request.errorCode && attempt.inputTokens === request.inputTokens && attempt.outputTokens === request.outputTokens
    && attempt.cachedInputTokens === request.cachedInputTokens && attempt.cacheWriteTokens === request.cacheWriteTokens
    && attempt.reasoningTokens === request.reasoningTokens && attempt.costUsd === request.costUsd
    && attempt.workspaceId === request.workspaceId && attempt.agentType === request.agentType && attempt.userId === request.userId
    && attempt.ruleId === request.ruleId && attempt.experimentId === request.experimentId && attempt.variant === request.variant;
}

/**
 * The rows for a batch: each foldable attempt-then-request pair as one row, every other record as its own.
 * `stored(attempt)` says whether an attempt is in the store already as a row of its own (delivered before, split
 * from its request): folding it again would keep it twice.
 */
export function planRows(records: readonly UsageRecord[], stored: (attempt: UsageRecord) => boolean): PlannedRow[] {
  const rows: PlannedRow[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as UsageRecord;
    const next = records[i + 1];
    if (next !== undefined && foldable(record, next) && !stored(record)) {
      rows.push({ record: next, folded: record });
      i++;
    } else {
      rows.push({ record, folded: null });
    }
  }
  return rows;
}

/** The fold columns' values of a planned row, in FOLD_COLUMNS order. */
export function foldValues(row: PlannedRow): [string | null, number | null, number | null] {
  const a = row.folded;
  return a === null ? [null, null, null] : [a.id, a.latencyMs, a.ttftMs];
}

/**
 * The records of a row, in insertion order (a folded attempt came just before its request), keeping those of
 * `kind` when one is given.
 */
export function rowRecords(row: Row, kind: UsageKind | undefined): UsageRecord[] {
  const record = rowToUsage(row);
  const attemptId = readNullableText(row, 'attempt_id');
  if (attemptId === null) return kind === undefined || record.kind === kind ? [record] : [];
  if (kind === 'request') return [record];
  const attempt: UsageRecord = {
    ...record, id: attemptId, kind: 'attempt', attempt: 1, latencyMs: readNumber(row, 'attempt_latency_ms'),
    ttftMs: readNullableNumber(row, 'attempt_ttft_ms'), retries: 0, fallbackChain: NO_CHAIN,
  };
  return kind === 'attempt' ? [attempt] : [attempt, record];
}

const NO_CHAIN: readonly string[] = Object.freeze([]);

/** SQL for "a row holding a record of this kind". */
export function kindClause(kind: UsageKind): string {
  return kind === 'request' ? `kind = 'request'` : `(kind = 'attempt' OR attempt_id IS NOT NULL)`;
}
