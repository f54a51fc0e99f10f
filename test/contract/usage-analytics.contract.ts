import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '../../src/domain/usage-record.ts';
import type { UsageFigures, UsageGroup, UsageRange, UsageScan } from '../../src/storage/ports.ts';
import { makeUsageRecord } from '../support/usage-record-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

const SINCE = '2025-02-01T00:00:00.000Z';
const UNTIL = '2025-02-03T00:00:00.000Z';
const RANGE: UsageRange = { since: SINCE, until: UNTIL };

/** A request record of the known set: what it needs, the rest zero or null. */
function req(startedAt: string, workspaceId: string | null, keyId: string | null, modelServed: string | null, outcome: UsageRecord['outcome'], latencyMs: number, ttftMs: number | null, tokens: readonly [input: number, output: number, cached: number, cacheWrite: number], costUsd: number): UsageRecord {
  const [inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens] = tokens;
  return makeUsageRecord({
    startedAt, workspaceId, keyId, modelServed, modelRequested: modelServed ?? 'm-unknown', provider: modelServed === null ? null : 'p-1',
    outcome, status: outcome === 'ok' ? 200 : 502, errorCode: outcome === 'ok' ? null : 'SB_UPSTREAM_ERROR',
    latencyMs, ttftMs, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, costUsd,
  });
}

/**
 * Twelve requests over two workspaces (and one of none), four keys (and none), three models (and one no provider
 * served), two UTC days. Costs are sums of powers of two, so every sum is exact in any order of addition; every
 * figure below was worked out by hand from this table.
 */
const KNOWN = [
  req('2025-02-01T00:00:00.000Z', 'ws-a', 'key-1', 'm-alpha', 'ok', 100, 10, [10, 20, 0, 0], 0.5), // exactly at since: in
  req('2025-02-01T11:00:00.000Z', 'ws-a', 'key-1', 'm-alpha', 'ok', 200, 20, [10, 20, 5, 0], 0.5),
  req('2025-02-01T12:00:00.000Z', 'ws-a', 'key-2', 'm-beta', 'error', 50, null, [5, 0, 0, 0], 0),
  req('2025-02-01T13:00:00.000Z', 'ws-b', 'key-3', 'm-alpha', 'ok', 400, 40, [20, 40, 0, 0], 1),
  req('2025-02-01T14:00:00.000Z', 'ws-b', 'key-3', 'm-gamma', 'ok', 800, 80, [30, 10, 0, 2], 0.25),
  req('2025-02-01T23:59:59.999Z', 'ws-a', 'key-1', 'm-beta', 'client_aborted', 1600, 100, [0, 0, 0, 0], 0),
  req('2025-02-02T03:00:00.000+02:00', 'ws-a', 'key-2', 'm-alpha', 'ok', 300, 30, [10, 10, 0, 0], 0.125), // 01:00Z
  req('2025-02-02T02:00:00.000Z', 'ws-b', 'key-3', 'm-beta', 'ok', 150, 15, [15, 15, 0, 0], 0.25),
  req('2025-02-02T03:00:00.000Z', 'ws-b', 'key-4', 'm-gamma', 'error', 25, null, [0, 0, 0, 0], 0),
  req('2025-02-02T04:00:00.000Z', 'ws-a', 'key-1', 'm-gamma', 'ok', 600, 60, [40, 80, 10, 0], 2),
  req('2025-02-02T05:00:00.000Z', null, null, null, 'error', 5, null, [0, 0, 0, 0], 0), // no provider: model is the one asked for
  req('2025-02-02T06:00:00.000Z', 'ws-a', 'key-2', 'm-alpha', 'ok', 1000, 50, [25, 25, 0, 0], 0.5),
] as const;

const big = { latencyMs: 99_999, ttftMs: 99_999, inputTokens: 1e6, outputTokens: 1e6, costUsd: 1024, workspaceId: 'ws-a', keyId: 'key-1', modelServed: 'm-alpha' } as const;
/** Records no figure may count: attempts of known requests, and requests just outside the range on either side. */
const NOISE = [
  makeUsageRecord({ ...big, requestId: KNOWN[0].requestId, kind: 'attempt', attempt: 1, startedAt: KNOWN[0].startedAt }),
  makeUsageRecord({ ...big, requestId: KNOWN[5].requestId, kind: 'attempt', attempt: 2, startedAt: KNOWN[5].startedAt, outcome: 'error' }),
  makeUsageRecord({ ...big, startedAt: '2025-01-31T23:59:59.999Z' }),
  makeUsageRecord({ ...big, startedAt: UNTIL }),
];

/** Mixed up, so that no adapter answers in insertion order by chance. */
const INSERTED: readonly UsageRecord[] = [...NOISE.slice(0, 2), ...KNOWN.slice(6), ...NOISE.slice(2), ...KNOWN.slice(0, 6)];

type Counts = [requests: number, errors: number, input: number, output: number, cached: number, cacheWrite: number, cost: number];
type Times = [mean: number | null, p50: number | null, p95: number | null];

function figures([requests, errors, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, costUsd]: Counts, latency: Times, ttft: Times): UsageFigures {
  return {
    requests, errors, errorRate: requests === 0 ? 0 : errors / requests, inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens, costUsd,
    latencyMs: { mean: latency[0], p50: latency[1], p95: latency[2] },
    ttftMs: { mean: ttft[0], p50: ttft[1], p95: ttft[2] },
  };
}

const group = (key: string | null, counts: Counts, latency: Times, ttft: Times): UsageGroup => ({ key, ...figures(counts, latency, ttft) });
const NO_TIMES: Times = [null, null, null];

// Latencies sorted: 5 25 50 100 150 200 300 400 600 800 1000 1600 (n 12: p50 is rank 6, p95 rank 12).
// First bytes sorted: 10 15 20 30 40 50 60 80 100 (n 9: p50 is rank 5, p95 rank 9).
const TOTALS = figures([12, 4, 165, 220, 15, 2, 5.125], [5230 / 12, 200, 1600], [405 / 9, 40, 100]);

const BY_MODEL = [
  group('m-alpha', [5, 0, 75, 115, 5, 0, 2.625], [400, 300, 1000], [30, 30, 50]),
  group('m-beta', [3, 2, 20, 15, 0, 0, 0.25], [600, 150, 1600], [57.5, 15, 100]),
  group('m-gamma', [3, 1, 70, 90, 10, 2, 2.25], [475, 600, 800], [70, 60, 80]),
  group('m-unknown', [1, 1, 0, 0, 0, 0, 0], [5, 5, 5], NO_TIMES),
];

const BY_WORKSPACE = [
  group(null, [1, 1, 0, 0, 0, 0, 0], [5, 5, 5], NO_TIMES),
  group('ws-a', [7, 2, 100, 155, 15, 0, 3.625], [550, 300, 1600], [45, 30, 100]),
  group('ws-b', [4, 1, 65, 65, 0, 2, 1.5], [343.75, 150, 800], [45, 40, 80]),
];

const BY_KEY = [
  group(null, [1, 1, 0, 0, 0, 0, 0], [5, 5, 5], NO_TIMES),
  group('key-1', [4, 1, 60, 120, 15, 0, 3], [625, 200, 1600], [47.5, 20, 100]),
  group('key-2', [3, 1, 40, 35, 0, 0, 0.625], [450, 300, 1000], [40, 30, 50]),
  group('key-3', [3, 0, 65, 65, 0, 2, 1.5], [450, 400, 800], [45, 40, 80]),
  group('key-4', [1, 1, 0, 0, 0, 0, 0], [25, 25, 25], NO_TIMES),
];

const BY_DAY = [
  group('2025-02-01', [6, 2, 75, 90, 5, 2, 2.25], [525, 200, 1600], [50, 40, 100]),
  group('2025-02-02', [6, 2, 90, 130, 10, 0, 2.875], [2080 / 6, 150, 1000], [38.75, 30, 60]),
];

/** UsageAnalytics (summarize, breakdown, scan, maintain) and UsageQuery.kind; every storage adapter runs it. */
export function runUsageAnalyticsContract(name: string, make: MakeStorage): void {
  describe(`UsageAnalytics contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const usage = () => storage().usage;
    const loadKnown = () => usage().insertMany(INSERTED);
    const scanned = async (query: UsageScan): Promise<UsageRecord[][]> => {
      const pages: UsageRecord[][] = [];
      for await (const page of usage().scan(query)) pages.push(page);
      return pages;
    };

    describe('summarize and breakdown', () => {
      it('answers zeros and null times over no record, and no group', async () => {
        const empty = figures([0, 0, 0, 0, 0, 0, 0], NO_TIMES, NO_TIMES);
        assert.deepEqual(await usage().summarize(RANGE), empty);
        assert.deepEqual(await usage().breakdown(RANGE, 'model'), []);
        await loadKnown();
        assert.deepEqual(await usage().summarize({ since: '2030-01-01T00:00:00Z', until: '2030-01-02T00:00:00Z' }), empty);
        assert.deepEqual(await usage().summarize({ since: UNTIL, until: SINCE }), empty, 'an inverted range holds nothing');
      });

      it('totals the request records of [since, until): attempts and records outside it are not counted', async () => {
        await loadKnown();
        assert.deepEqual(await usage().summarize(RANGE), TOTALS);
      });

      it('compares the bounds as times, whatever their ISO form', async () => {
        await loadKnown();
        assert.deepEqual(await usage().summarize({ since: '2025-02-01T01:00:00+01:00', until: '2025-02-03T02:00:00.000+02:00' }), TOTALS);
      });

      it('breaks down by model: the served model, or the one asked for when no provider was reached', async () => {
        await loadKnown();
        assert.deepEqual(await usage().breakdown(RANGE, 'model'), BY_MODEL);
      });

      it('breaks down by workspace and by key, records with none in a null group first', async () => {
        await loadKnown();
        assert.deepEqual(await usage().breakdown(RANGE, 'workspace'), BY_WORKSPACE);
        assert.deepEqual(await usage().breakdown(RANGE, 'key'), BY_KEY);
      });

      it('breaks down by UTC day, in order', async () => {
        await loadKnown();
        assert.deepEqual(await usage().breakdown(RANGE, 'day'), BY_DAY);
      });

      it('applies the workspace, key and model filters, alone and together', async () => {
        await loadKnown();
        assert.deepEqual(await usage().summarize({ ...RANGE, workspaceId: 'ws-b' }), figures([4, 1, 65, 65, 0, 2, 1.5], [343.75, 150, 800], [45, 40, 80]));
        assert.deepEqual(await usage().breakdown({ ...RANGE, keyId: 'key-2' }, 'day'), [
          group('2025-02-01', [1, 1, 5, 0, 0, 0, 0], [50, 50, 50], NO_TIMES),
          group('2025-02-02', [2, 0, 35, 35, 0, 0, 0.625], [650, 300, 1000], [40, 30, 50]),
        ]);
        assert.deepEqual(await usage().summarize({ ...RANGE, model: 'm-unknown' }), figures([1, 1, 0, 0, 0, 0, 0], [5, 5, 5], NO_TIMES));
        assert.deepEqual(await usage().breakdown({ ...RANGE, workspaceId: 'ws-b', model: 'm-alpha' }, 'key'), [group('key-3', [1, 0, 20, 40, 0, 0, 1], [400, 400, 400], [40, 40, 40])]);
        assert.deepEqual(await usage().breakdown({ ...RANGE, workspaceId: 'ws-none' }, 'model'), []);
      });

      it('takes nearest-rank percentiles: the value at rank ⌈p·n/100⌉, never an interpolation', async () => {
        // 1..20 ms: p50 is rank 10, p95 rank 19; with a 21st value (21 ms) p50 is rank 11 and p95 rank 20.
        const series = (n: number) => Array.from({ length: n }, (_, i) => req(`2025-02-01T10:00:${String(i).padStart(2, '0')}.000Z`, 'ws-p', 'key-p', 'm-p', 'ok', i + 1, (i + 1) / 4, [0, 0, 0, 0], 0));
        await usage().insertMany(series(20));
        const twenty = await usage().summarize({ ...RANGE, workspaceId: 'ws-p' });
        assert.deepEqual([twenty.latencyMs, twenty.ttftMs], [{ mean: 10.5, p50: 10, p95: 19 }, { mean: 2.625, p50: 2.5, p95: 4.75 }]);
        await usage().insertMany([req('2025-02-01T10:01:00.000Z', 'ws-p', 'key-p', 'm-p', 'ok', 21, 5.25, [0, 0, 0, 0], 0)]);
        const more = await usage().summarize({ ...RANGE, workspaceId: 'ws-p' });
        assert.deepEqual([more.latencyMs.p50, more.latencyMs.p95, more.ttftMs.p50, more.ttftMs.p95], [11, 20, 2.75, 5]);
      });

      it('rejects a since or an until that is not a time', async () => {
        await assert.rejects(usage().summarize({ since: 'last tuesday', until: UNTIL }));
        await assert.rejects(usage().breakdown({ since: SINCE, until: 'soon' }, 'day'));
      });
    });

    describe('scan', () => {
      it('yields the records of the range oldest first, both kinds, in pages of pageSize', async () => {
        await loadKnown();
        const pages = await scanned({ ...RANGE, pageSize: 5 });
        assert.deepEqual(pages.map((page) => page.length), [5, 5, 4]);
        // Time order; the ties (a request and its attempt) in insertion order.
        const expected = INSERTED.filter((r) => r !== NOISE[2] && r !== NOISE[3]).sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
        assert.deepEqual(pages.flat().map((r) => r.id), expected.map((r) => r.id));
        assert.deepEqual(pages.flat().find((r) => r.id === KNOWN[4].id), KNOWN[4], 'every field as written');
      });

      it('breaks time ties by insertion order, each record exactly once across pages', async () => {
        const tied = Array.from({ length: 7 }, () => makeUsageRecord({ startedAt: '2025-02-01T08:00:00.000Z' }));
        await usage().insertMany(tied.slice(0, 3));
        await usage().insertMany(tied.slice(3));
        const pages = await scanned({ ...RANGE, pageSize: 2 });
        assert.deepEqual(pages.flat().map((r) => r.id), tied.map((r) => r.id));
      });

      it('applies kind, workspace, key and model filters', async () => {
        await loadKnown();
        const ids = async (query: Partial<UsageScan>) => (await scanned({ ...RANGE, ...query })).flat().map((r) => r.id);
        assert.deepEqual(await ids({ kind: 'attempt' }), [NOISE[0]!.id, NOISE[1]!.id]);
        assert.deepEqual(await ids({ workspaceId: 'ws-b', kind: 'request' }), [KNOWN[3].id, KNOWN[4].id, KNOWN[7].id, KNOWN[8].id]);
        assert.deepEqual(await ids({ keyId: 'key-2', model: 'm-alpha' }), [KNOWN[6].id, KNOWN[11].id]);
        assert.deepEqual(await ids({ model: 'm-unknown' }), [KNOWN[10].id]);
      });

      it('yields no page for an empty range, and rejects a bound that is not a time', async () => {
        await loadKnown();
        assert.deepEqual(await scanned({ since: '2030-01-01T00:00:00Z', until: '2030-02-01T00:00:00Z' }), []);
        await assert.rejects(scanned({ since: 'yesterday', until: UNTIL }));
      });
    });

    describe('list kind', () => {
      it('lists one kind of record only when asked', async () => {
        await loadKnown();
        assert.deepEqual((await usage().list({ kind: 'attempt' })).map((r) => r.id).sort(), [NOISE[0]!.id, NOISE[1]!.id].sort());
        const requests = await usage().list({ kind: 'request', workspaceId: 'ws-b' });
        assert.deepEqual(requests.map((r) => r.id), [KNOWN[8].id, KNOWN[7].id, KNOWN[4].id, KNOWN[3].id]);
      });
    });

    describe('maintain: retention', () => {
      const NOW = Date.parse('2025-03-05T12:30:00.000Z');
      const job = { now: NOW, rollups: false, retention: true, rawDays: 30, rollupDays: 400 };

      it('deletes the records that started before the hour now − rawDays falls in, and only those', async () => {
        // now − 30 days is 2025-02-03T12:30Z; the cutoff is its hour, 12:00.
        const old = makeUsageRecord({ startedAt: '2025-02-03T11:59:59.999Z' });
        const kept = [makeUsageRecord({ startedAt: '2025-02-03T12:00:00.000Z' }), makeUsageRecord({ startedAt: '2025-03-01T00:00:00.000Z' })];
        await loadKnown();
        await usage().insertMany([old, ...kept]);
        const report = await usage().maintain(job);
        assert.deepEqual(report, { ran: true, hoursRolledUp: 0, rawDeleted: KNOWN.length + NOISE.length + 1, rollupsDeleted: 0 });
        assert.deepEqual((await usage().list({})).map((r) => r.id).sort(), kept.map((r) => r.id).sort());
        assert.deepEqual(await usage().maintain(job), { ran: true, hoursRolledUp: 0, rawDeleted: 0, rollupsDeleted: 0 }, 'a second run finds nothing');
      });

      it('deletes nothing when retention is not due, and keeps working after a deletion', async () => {
        await loadKnown();
        assert.equal((await usage().maintain({ ...job, retention: false })).rawDeleted, 0);
        assert.deepEqual(await usage().summarize(RANGE), TOTALS);
        await usage().maintain(job);
        const later = [makeUsageRecord({ startedAt: '2025-03-02T00:00:00.000Z' }), makeUsageRecord({ startedAt: '2025-03-02T00:00:00.000Z' })];
        await usage().insertMany(later);
        assert.deepEqual(await usage().list({}), [later[1], later[0]], 'ties still read back latest insert first');
      });
    });
  });
}
