/**
 * The analytics answers in seed 002's vocabulary (latency in ms, errorRate, usage { promptTokens,
 * completionTokens, totalTokens, cost }, status "success", timestamp), built from the store's figures and records.
 */
import type { UsageRecord } from '../domain/usage-record.ts';
import type { TimeFigures, UsageFigures, UsageGroup, UsageGroupBy } from '../storage/ports.ts';

export interface TimeView {
  readonly avg: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
}

export interface UsageView {
  /** inputTokens + cachedInputTokens + cacheWriteTokens, as POST /api/route counts them. */
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  readonly cost: number;
  readonly inputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
}

export interface FiguresView {
  readonly requests: number;
  readonly successes: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly successRate: number;
  readonly latency: TimeView;
  readonly timeToFirstToken: TimeView;
  readonly usage: UsageView;
}

function timeView(t: TimeFigures): TimeView {
  return { avg: t.mean, p50: t.p50, p95: t.p95 };
}

function usageView(input: number, output: number, cached: number, cacheWrite: number, cost: number): UsageView {
  const promptTokens = input + cached + cacheWrite;
  return { promptTokens, completionTokens: output, totalTokens: promptTokens + output, cost, inputTokens: input, cachedInputTokens: cached, cacheWriteTokens: cacheWrite };
}

export function figuresView(f: UsageFigures): FiguresView {
  return {
    requests: f.requests, successes: f.requests - f.errors, errors: f.errors, errorRate: f.errorRate,
    successRate: f.requests === 0 ? 0 : 1 - f.errorRate,
    latency: timeView(f.latencyMs), timeToFirstToken: timeView(f.ttftMs),
    usage: usageView(f.inputTokens, f.outputTokens, f.cachedInputTokens, f.cacheWriteTokens, f.costUsd),
  };
}

/** The field naming a group in the answers. */
export const GROUP_FIELD: Readonly<Record<UsageGroupBy, string>> = { model: 'modelId', key: 'keyId', workspace: 'workspaceId', day: 'date' };

export function groupView(by: UsageGroupBy, group: UsageGroup): Record<string, unknown> {
  return { [GROUP_FIELD[by]]: group.key, ...figuresView(group) };
}

/** Spend order: days chronologically, everything else the largest cost first (ties by key, as the store sorts). */
export function spendOrder(by: UsageGroupBy, groups: readonly UsageGroup[]): UsageGroup[] {
  return by === 'day' ? [...groups] : [...groups].sort((a, b) => b.costUsd - a.costUsd);
}

const STATUS: Readonly<Record<UsageRecord['outcome'], string>> = { ok: 'success', error: 'error', client_aborted: 'aborted' };

/** One request of GET /api/metrics/requests: its request record in the seed's terms. */
export function requestMetric(r: UsageRecord) {
  return {
    requestId: r.requestId, timestamp: r.startedAt, modelId: r.modelServed ?? r.modelRequested, modelRequested: r.modelRequested,
    provider: r.provider, workspaceId: r.workspaceId, keyId: r.keyId, agentType: r.agentType, userId: r.userId, endpoint: r.endpoint,
    stream: r.stream, status: STATUS[r.outcome], httpStatus: r.status, errorCode: r.errorCode, latency: r.latencyMs, timeToFirstToken: r.ttftMs,
    retries: r.retries, fallbackChain: r.fallbackChain,
    usage: usageView(r.inputTokens, r.outputTokens, r.cachedInputTokens, r.cacheWriteTokens, r.costUsd),
  };
}
