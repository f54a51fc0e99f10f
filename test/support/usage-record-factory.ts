import { randomUUID } from 'node:crypto';
import type { UsageRecord } from '../../src/domain/usage-record.ts';

/**
 * A valid, successful non-streaming chat request record; override what a test cares about.
 * id and requestId are fresh UUIDs on every call; startedAt is fixed so that ordering in tests is explicit.
 */
export function makeUsageRecord(overrides: Partial<UsageRecord> = {}): UsageRecord {
  return {
    id: randomUUID(),
    requestId: randomUUID(),
    kind: 'request',
    attempt: 0,
    startedAt: '2025-01-01T00:00:00.000Z',
    keyId: 'key-test',
    endpoint: 'chat',
    stream: false,
    provider: 'mock',
    modelRequested: 'mock-model',
    modelServed: 'mock-model',
    status: 200,
    outcome: 'ok',
    errorCode: null,
    inputTokens: 12,
    outputTokens: 34,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    latencyMs: 15,
    ttftMs: 5,
    workspaceId: null, agentType: null, userId: null, ruleId: null, experimentId: null, variant: null,
    reasoningTokens: 0, retries: 0, fallbackChain: ['mock/mock-model'],
    ...overrides,
  };
}
