import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '../domain/usage-record.ts';
import { GatewayMetrics } from '../observability/metrics.ts';
import type { CallOutcome } from './call-outcome.ts';
import { PriceBook } from './price-book.ts';
import { UsageLedger } from './usage-ledger.ts';

const outcome = (over: Partial<CallOutcome> = {}): CallOutcome => ({
  kind: 'attempt', attempt: 1, requestId: 'req-1', keyId: 'k1', endpoint: 'chat', stream: false, modelRequested: 'fast',
  provider: 'openai', modelServed: 'gpt-4o', pricing: undefined, startedMs: Date.parse('2026-12-01T10:00:00.000Z'), latencyMs: 12.34567,
  status: 200, outcome: 'ok', errorCode: null, usage: { inputTokens: 1000, outputTokens: 500, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, ttftMs: 3.21, retries: 0, fallbackChain: [],
  ...over,
});

describe('UsageLedger', () => {
  const prices = new PriceBook({ 'gpt-4o': { inputPerMTok: 2.5, outputPerMTok: 10 } });

  it('turns an outcome into a priced, timed record and hands it to every listener in order', () => {
    const seen: Array<[string, UsageRecord]> = [];
    const ledger = new UsageLedger(prices, [(r) => seen.push(['first', r]), (r) => seen.push(['second', r])]);
    ledger.record(outcome());
    assert.deepEqual(seen.map(([who]) => who), ['first', 'second']);
    const [, record] = seen[0]!;
    assert.equal(seen[1]![1], record, 'every listener gets the same record');
    assert.equal(record.startedAt, '2026-12-01T10:00:00.000Z');
    assert.equal(record.costUsd, (1000 * 2.5 + 500 * 10) / 1_000_000);
    assert.equal(record.latencyMs, 12.346);
    assert.match(record.id, /^[0-9a-f-]{36}$/);
  });

  it('prices with the catalogue entry\'s own price before the table, and an unserved outcome at 0', () => {
    const records: UsageRecord[] = [];
    const ledger = new UsageLedger(prices, [(r) => records.push(r)]);
    ledger.record(outcome({ pricing: { inputPerMTok: 1, outputPerMTok: 1 } }));
    ledger.record(outcome({ provider: null, modelServed: null, kind: 'request', attempt: 0 }));
    assert.equal(records[0]!.costUsd, 1500 / 1_000_000);
    assert.equal(records[1]!.costUsd, 0);
  });

  it('feeds the metrics as one of its listeners', async () => {
    const metrics = new GatewayMetrics();
    const ledger = new UsageLedger(prices, [metrics.observe]);
    ledger.record(outcome({ kind: 'request', attempt: 0 }));
    const text = await metrics.registry.metrics();
    assert.match(text, /switchboard_requests_total\{endpoint="chat",provider="openai",model="gpt-4o",status="200",outcome="ok"\} 1/);
  });
});
