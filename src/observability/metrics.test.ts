import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pino from 'pino';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import { readConfigSources } from '../config/load-config.ts';
import { testDataDir } from '../../test/support/test-data-dir.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import { composeGateway } from '../main.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import { DEFAULT_MAX_SERIES } from './capped-series.ts';
import { DEFAULT_KNOWN_NAMES, GatewayMetrics, knownNames } from './metrics.ts';

/** The sample lines of one metric in the exposition text, i.e. its series (for a histogram: its _count lines). */
function seriesOf(text: string, metric: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${metric}{`));
}

/** The value of the one sample of `metric` whose labels include every `labels` pair. */
function valueOf(text: string, metric: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = seriesOf(text, metric).find((l) => wanted.every((pair) => l.includes(pair)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** A request record and its one attempt, as the ledger makes them for one call. */
function call(overrides: Partial<UsageRecord>): UsageRecord[] {
  return [
    makeUsageRecord({ kind: 'attempt', attempt: 1, costUsd: 0.001, ...overrides }),
    makeUsageRecord({ kind: 'request', attempt: 0, ...overrides }),
  ];
}

const COUNTERS = ['switchboard_requests_total', 'switchboard_tokens_total', 'switchboard_cost_usd_total', 'switchboard_upstream_attempts_total'];

describe('GatewayMetrics label cardinality', () => {
  it('folds 10 000 caller-chosen model names into "other" and keeps the known ones', async () => {
    const metrics = new GatewayMetrics({ knownModel: knownNames(['mock', 'gpt-4o']), knownProvider: knownNames(['mock', 'openai']) });
    for (let i = 0; i < 10_000; i++) for (const r of call({ provider: 'mock', modelServed: `mock-${randomUUID()}` })) metrics.observe(r);
    for (const r of call({ provider: 'openai', modelServed: 'gpt-4o' })) metrics.observe(r);
    const text = await metrics.registry.metrics();
    for (const metric of COUNTERS) assert.ok(seriesOf(text, metric).length <= 4, `${metric}:\n${seriesOf(text, metric).join('\n')}`);
    assert.equal(valueOf(text, 'switchboard_requests_total', { provider: 'mock', model: 'other' }), 10_000);
    assert.equal(valueOf(text, 'switchboard_requests_total', { provider: 'openai', model: 'gpt-4o' }), 1);
    assert.equal(valueOf(text, 'switchboard_tokens_total', { model: 'gpt-4o', type: 'output' }), 34);
    assert.ok(valueOf(text, 'switchboard_cost_usd_total', { model: 'gpt-4o' }) !== undefined);
    assert.equal(valueOf(text, 'switchboard_tokens_total', { model: 'other', type: 'input' }), 120_000);
  });

  it('bounds the provider label, histograms included, and out-of-range statuses', async () => {
    const metrics = new GatewayMetrics({ knownModel: knownNames(['mock']), knownProvider: knownNames(['mock']) });
    for (let i = 0; i < 1000; i++) {
      for (const r of call({ provider: `p-${i}`, modelServed: 'mock', status: 1000 + i, stream: true })) metrics.observe(r);
    }
    const text = await metrics.registry.metrics();
    for (const metric of [...COUNTERS, 'switchboard_request_duration_seconds_count', 'switchboard_time_to_first_byte_seconds_count']) {
      assert.equal(seriesOf(text, metric).length, metric === 'switchboard_tokens_total' ? 2 : 1, metric);
    }
    assert.equal(valueOf(text, 'switchboard_requests_total', { provider: 'other', status: 'other' }), 1000);
    assert.equal(valueOf(text, 'switchboard_request_duration_seconds_count', { provider: 'other' }), 1000);
  });

  it('keeps "none" for records that reached no provider', async () => {
    const metrics = new GatewayMetrics({ knownModel: knownNames([]), knownProvider: knownNames([]) });
    metrics.observe(makeUsageRecord({ provider: null, modelServed: null, status: 404, outcome: 'error' }));
    const text = await metrics.registry.metrics();
    assert.equal(valueOf(text, 'switchboard_requests_total', { provider: 'none', model: 'none', status: '404' }), 1);
  });

  it('without options is still bounded: the first names seen keep theirs', async () => {
    const metrics = new GatewayMetrics();
    for (let i = 0; i < 10_000; i++) metrics.observe(makeUsageRecord({ modelServed: `m-${i}` }));
    const text = await metrics.registry.metrics();
    assert.equal(seriesOf(text, 'switchboard_requests_total').length, DEFAULT_KNOWN_NAMES + 1);
    assert.equal(valueOf(text, 'switchboard_requests_total', { model: 'm-0' }), 1);
    assert.equal(valueOf(text, 'switchboard_requests_total', { model: 'other' }), 10_000 - DEFAULT_KNOWN_NAMES);
  });

  it('counts what a counter past its series limit diverted, should a predicate let everything through', async () => {
    const metrics = new GatewayMetrics({ knownModel: () => true });
    for (let i = 0; i < DEFAULT_MAX_SERIES + 100; i++) metrics.observe(makeUsageRecord({ modelServed: `m-${i}` }));
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = await metrics.registry.metrics();
      assert.equal(seriesOf(text, 'switchboard_requests_total').length, DEFAULT_MAX_SERIES + 1);
      assert.equal(valueOf(text, 'switchboard_requests_total', { endpoint: 'other' }), 100);
      assert.equal(valueOf(text, 'switchboard_metric_series_overflow_total', { metric: 'switchboard_requests_total' }), 100, 'not added again per scrape');
    }
  });

  it('reports no overflow while every counter is within its series limit', async () => {
    const metrics = new GatewayMetrics();
    metrics.observe(makeUsageRecord());
    assert.doesNotMatch(await metrics.registry.metrics(), /switchboard_metric_series_overflow_total\{/);
  });
});

describe('composeGateway metrics', () => {
  it('labels configured names (catalogue names, upstream ids, provider models) and folds the rest', async () => {
    const env = { SWITCHBOARD_ADMIN_KEY: 'sb-test-admin-key-0123456789', LOG_LEVEL: 'silent' };
    const sources = readConfigSources({ env, raw: {
      server: { metricsPort: 0 }, dataDir: testDataDir(),
      providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }],
      models: [{ name: 'fast', provider: 'mock', model: 'mock-fast-upstream' }],
    } });
    const gateway = await composeGateway({ sources, storage: createMemoryStorage(), logger: pino({ level: 'silent' }) });
    try {
      const send = async (model: string): Promise<void> => {
        const res = await gateway.app.inject({
          method: 'POST', url: '/v1/chat/completions', headers: { authorization: `Bearer ${env.SWITCHBOARD_ADMIN_KEY}` },
          payload: { model, messages: [{ role: 'user', content: 'hi' }] },
        });
        assert.equal(res.statusCode, 200, `${model}: ${res.body}`);
      };
      for (const model of ['mock', 'mock-large', 'fast']) await send(model);
      for (let i = 0; i < 50; i++) await send(i % 2 === 0 ? `mock-random-${i}` : `mock/random-${i}`);
      const text = await gateway.deps.metrics.registry.metrics();
      const models = seriesOf(text, 'switchboard_requests_total').map((l) => /model="([^"]*)"/.exec(l)?.[1]).sort();
      assert.deepEqual(models, ['mock', 'mock-fast-upstream', 'mock-large', 'other']);
      assert.equal(valueOf(text, 'switchboard_requests_total', { model: 'other' }), 50);
    } finally {
      await gateway.close();
    }
  });
});
