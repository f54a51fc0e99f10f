// Seed 002's analytics and monitoring routes, spend by group and the usage export on a running gateway over the
// embedded SQLite store: real /v1 traffic to the built-in mock provider from two workspaces, read back as the
// admin key (everything) and as each workspace's key (its own only); exports parse back to the stored records;
// bad parameters are refused with the field.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { UsageRecord } from '../../src/domain/usage-record.ts';
import { createSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.ts';
import { adminCall } from '../support/admin-call.ts';
import { parseCsv } from '../support/parse-csv.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';
import { testDataDir } from '../support/test-data-dir.ts';

const CONFIG = {
  providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }],
  // Prices, so that cost figures are not all zero (USD per million tokens).
  pricing: { mock: { inputPerMTok: 1000, outputPerMTok: 2000 }, 'mock-large': { inputPerMTok: 4000, outputPerMTok: 8000 } },
};

/** Nearest rank, as the stores compute it (the contract suite checks them against hand-worked figures). */
function rank(values: number[], percent: number): number | null {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? null : sorted[Math.ceil((percent * sorted.length) / 100) - 1]!;
}

/** The figures every analytics answer has, worked out here from the request records. */
function expected(records: readonly UsageRecord[]) {
  const requests = records.filter((r) => r.kind === 'request');
  const errors = requests.filter((r) => r.outcome !== 'ok').length;
  const sum = (pick: (r: UsageRecord) => number) => requests.reduce((total, r) => total + pick(r), 0);
  const ttfts = requests.flatMap((r) => (r.ttftMs === null ? [] : [r.ttftMs]));
  const prompt = sum((r) => r.inputTokens + r.cachedInputTokens + r.cacheWriteTokens);
  return {
    requests: requests.length, successes: requests.length - errors, errors, errorRate: requests.length === 0 ? 0 : errors / requests.length,
    latency: { p50: rank(requests.map((r) => r.latencyMs), 50), p95: rank(requests.map((r) => r.latencyMs), 95) },
    timeToFirstToken: { p50: rank(ttfts, 50), p95: rank(ttfts, 95) },
    usage: { promptTokens: prompt, completionTokens: sum((r) => r.outputTokens), totalTokens: prompt + sum((r) => r.outputTokens), cost: sum((r) => r.costUsd) },
  };
}

/** An answer's figures against the records': counts, tokens and percentiles exactly, cost to rounding. */
function assertFigures(actual: any, records: readonly UsageRecord[], what: string): void {
  const want = expected(records);
  assert.deepEqual(
    [actual.requests, actual.successes, actual.errors, actual.errorRate, actual.latency.p50, actual.latency.p95, actual.timeToFirstToken.p50, actual.timeToFirstToken.p95],
    [want.requests, want.successes, want.errors, want.errorRate, want.latency.p50, want.latency.p95, want.timeToFirstToken.p50, want.timeToFirstToken.p95], what);
  const { cost, ...tokens } = actual.usage as Record<string, number>;
  const { cost: wantCost, ...wantTokens } = want.usage;
  assert.deepEqual({ promptTokens: tokens.promptTokens, completionTokens: tokens.completionTokens, totalTokens: tokens.totalTokens }, wantTokens, `${what} tokens`);
  assert.ok(Math.abs(cost! - wantCost) <= 1e-12 * Math.max(1, wantCost), `${what} cost ${cost} ≠ ${wantCost}`);
}

describe('analytics and usage export', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const keys: Record<string, { key: string; id: string }> = {};
  const as = (name: string) => (path: string) => call('GET', path, undefined, { authorization: `Bearer ${keys[name]!.key}` });
  let all: UsageRecord[] = [];
  const inWorkspace = (ws: string | null) => all.filter((r) => r.workspaceId === ws);

  before(async () => {
    gw = await startGateway({ config: CONFIG, storage: createSqliteStorage({ path: join(testDataDir(), 'switchboard.db') }) });
    for (const ws of ['ws-a', 'ws-b']) assert.equal((await call('POST', '/api/workspaces', { id: ws, name: ws })).status, 201);
    for (const [name, workspaceId] of [['a', 'ws-a'], ['b', 'ws-b']] as const) {
      const res = await call('POST', '/api/keys', { name, role: 'member', workspaceId });
      assert.equal(res.status, 201, res.text);
      keys[name] = res.body;
    }
    const send = (name: string, model: string, stream = false) => call('POST', '/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: `hello from ${name} to ${model}` }] }, { authorization: `Bearer ${keys[name]!.key}` });
    const traffic = [send('a', 'mock'), send('a', 'mock'), send('a', 'mock-large'), send('a', 'mock', true), send('b', 'mock'), send('b', 'mock-large'), send('b', 'mock-large')];
    for (const res of await Promise.all(traffic)) assert.equal(res.status, 200, res.text);
    // Refused before routing (an unknown model): its record still has the key's workspace.
    assert.equal((await send('a', 'no-such-model')).status, 404, 'a failed request is recorded too');
    await gw.gateway.deps.usage.flush();
    // Newest first (time ties: the later insert first), so reversed: the export's order.
    all = ((await call('GET', '/api/usage?limit=1000')).body.data as UsageRecord[]).reverse();
    assert.equal(all.filter((r) => r.kind === 'request').length, 8);
  });
  after(() => gw.close());

  it('lists recent requests (GET /api/metrics/requests) newest first, request records only, in the seed\'s terms', async () => {
    const res = await call('GET', '/api/metrics/requests?limit=100');
    assert.equal(res.status, 200, res.text);
    const requests = all.filter((r) => r.kind === 'request').reverse();
    assert.equal(res.body.total, 8);
    assert.deepEqual(res.body.data.map((m: { requestId: string }) => m.requestId), requests.map((r) => r.requestId));
    const failed = res.body.data.find((m: { modelRequested: string }) => m.modelRequested === 'no-such-model');
    assert.deepEqual([failed.status, failed.httpStatus, failed.errorCode, failed.modelId], ['error', 404, 'SB_MODEL_NOT_FOUND', 'no-such-model']);
    const ok = res.body.data.find((m: { requestId: string }) => m.requestId === requests[1]!.requestId);
    assert.equal(ok.status, 'success');
    assert.equal(ok.latency, requests[1]!.latencyMs);
    assert.equal(ok.usage.completionTokens, requests[1]!.outputTokens);
    assert.equal((await call('GET', '/api/metrics/requests?limit=2')).body.data.length, 2);
    const mine = (await as('b')('/api/metrics/requests')).body;
    assert.equal(mine.total, 3);
    assert.ok(mine.data.every((m: { workspaceId: string }) => m.workspaceId === 'ws-b'));
  });

  it('answers model analytics (GET /api/analytics/models) per model, optionally for one model', async () => {
    const res = await call('GET', '/api/analytics/models?timeRange=24h');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.timeRange, '24h');
    assert.equal(Date.parse(res.body.until) - Date.parse(res.body.since), 24 * 3_600_000);
    assertFigures(res.body.totals, all, 'totals');
    assert.deepEqual(res.body.data.map((m: { modelId: string }) => m.modelId), ['mock', 'mock-large', 'no-such-model']);
    for (const model of res.body.data) assertFigures(model, all.filter((r) => (r.modelServed ?? r.modelRequested) === model.modelId), model.modelId);
    const one = await call('GET', '/api/analytics/models?timeRange=7d&modelId=mock-large');
    assert.deepEqual(one.body.data.map((m: { modelId: string }) => m.modelId), ['mock-large']);
    assertFigures(one.body.totals, all.filter((r) => r.modelServed === 'mock-large'), 'mock-large');
    const b = await as('b')('/api/analytics/models');
    assertFigures(b.body.totals, inWorkspace('ws-b'), 'ws-b sees its own');
  });

  it('answers workspace analytics (GET /api/analytics/workspaces/{id}) with models, keys and days, to its own workspace only', async () => {
    const res = await call('GET', '/api/analytics/workspaces/ws-a?timeRange=7d');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.workspaceId, 'ws-a');
    assertFigures(res.body.totals, inWorkspace('ws-a'), 'ws-a');
    assert.deepEqual(res.body.models.map((m: { modelId: string }) => m.modelId), ['mock', 'mock-large', 'no-such-model'], 'its failed request too');
    assert.deepEqual(res.body.keys.map((k: { keyId: string }) => k.keyId), [keys.a!.id]);
    assert.equal(res.body.daily.reduce((n: number, d: { requests: number }) => n + d.requests, 0), 5);
    assert.match(res.body.daily[0].date, /^\d{4}-\d{2}-\d{2}$/);
    assert.equal((await as('a')('/api/analytics/workspaces/ws-a')).status, 200);
    const other = await as('a')('/api/analytics/workspaces/ws-b');
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    assert.equal((await call('GET', '/api/analytics/workspaces/ws-nowhere')).body.error.code, 'SB_WORKSPACE_NOT_FOUND');
  });

  it('answers spend by workspace, key, model or day (GET /api/analytics/spend), largest cost first', async () => {
    const since = new Date(Date.parse(all[0]!.startedAt) - 60_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const byWorkspace = await call('GET', `/api/analytics/spend?groupBy=workspace&since=${since}&until=${until}`);
    assert.equal(byWorkspace.status, 200, byWorkspace.text);
    assert.deepEqual([byWorkspace.body.groupBy, byWorkspace.body.since, byWorkspace.body.timeRange], ['workspace', since, null]);
    const costs = byWorkspace.body.data.map((g: { usage: { cost: number } }) => g.usage.cost);
    assert.deepEqual(costs, [...costs].sort((x, y) => y - x));
    for (const ws of byWorkspace.body.data) assertFigures(ws, inWorkspace(ws.workspaceId), ws.workspaceId);
    assert.deepEqual(byWorkspace.body.data.map((g: { workspaceId: string | null }) => g.workspaceId).sort(), ['ws-a', 'ws-b'], 'the unrouted request in its key\'s workspace');
    const byKey = await call('GET', '/api/analytics/spend?groupBy=key&timeRange=1h');
    assert.deepEqual(byKey.body.data.map((g: { keyId: string }) => g.keyId).sort(), [keys.a!.id, keys.b!.id].sort());
    const byDay = await call('GET', '/api/analytics/spend?groupBy=day');
    assertFigures(byDay.body.totals, all, 'by day');
    const mine = await as('a')('/api/analytics/spend?groupBy=model');
    assertFigures(mine.body.totals, inWorkspace('ws-a'), 'ws-a by model');
    assert.equal((await as('a')('/api/analytics/spend?workspaceId=ws-b')).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
  });

  it('exports CSV, NDJSON and JSON that parse back to the stored records, as an attachment', async () => {
    const csv = await call('GET', '/api/usage/export?format=csv&timeRange=1h');
    assert.equal(csv.status, 200, csv.text);
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="switchboard-usage-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv"$/);
    const [header, ...rows] = parseCsv(csv.text);
    assert.equal(rows.length, all.length);
    rows.forEach((row, i) => {
      const record = all[i]! as unknown as Record<string, unknown>;
      header!.forEach((column, j) => {
        const value = record[column!];
        assert.equal(row[j], value === null ? null : typeof value === 'object' ? JSON.stringify(value) : String(value), `${column} of row ${i}`);
      });
    });
    const json = await call('GET', '/api/usage/export?format=json&timeRange=1h');
    assert.equal(json.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(json.body, all);
    const ndjson = await call('GET', '/api/usage/export?format=ndjson&timeRange=1h&kind=request');
    assert.deepEqual(ndjson.text.trim().split('\n').map((line) => JSON.parse(line)), all.filter((r) => r.kind === 'request'));
    const mine = await as('b')('/api/usage/export?format=json&timeRange=1h');
    assert.deepEqual(mine.body, inWorkspace('ws-b'));
    assert.equal((await as('b')('/api/usage/export?workspaceId=ws-a')).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
  });

  it('refuses bad parameters with 400 SB_INVALID_REQUEST naming the field', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const cases: ReadonlyArray<readonly [string, string]> = [
      ['/api/analytics/models?timeRange=3w', 'timeRange'],
      ['/api/analytics/models?timeRange=500d', 'timeRange'],
      ['/api/analytics/models?timeRange=0h', 'timeRange'],
      ['/api/analytics/models?modelId=two%20words', 'modelId'],
      ['/api/analytics/models?colour=red', 'colour'],
      [`/api/analytics/spend?since=${future}&until=2025-01-01T00:00:00Z`, 'since'],
      ['/api/analytics/spend?since=yesterday', 'since'],
      ['/api/analytics/spend?timeRange=1h&since=2025-01-01T00:00:00Z', 'timeRange'],
      ['/api/analytics/spend?groupBy=team', 'groupBy'],
      ['/api/analytics/workspaces/not%20an%20id', 'id'],
      ['/api/analytics/workspaces/ws-a?timeRange=forever', 'timeRange'],
      ['/api/metrics/requests?limit=0', 'limit'],
      ['/api/usage/export?format=xml', 'format'],
      ['/api/usage/export?kind=everything', 'kind'],
      ['/api/usage/export?until=soon', 'until'],
    ];
    for (const [path, param] of cases) {
      const res = await call('GET', path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual([res.body.error.code, res.body.error.param], ['SB_INVALID_REQUEST', param], path);
    }
  });
});
