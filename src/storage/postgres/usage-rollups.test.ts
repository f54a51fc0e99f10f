/**
 * PostgreSQL's usage roll-ups against the machine's real server, each test on its own schema, with the memory
 * store (exact by the shared contract) holding the same records as the oracle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '../../domain/usage-record.ts';
import { makeUsageRecord } from '../../../test/support/usage-record-factory.ts';
import { postgresTestFixture, TEST_POSTGRES_URL } from '../../../test/support/postgres-schemas.ts';
import { createMemoryStorage } from '../memory/memory-storage.ts';
import type { Storage, TimeFigures, UsageFigures, UsageGroupBy, UsageMaintenance, UsageRange } from '../ports.ts';
import { RELATIVE_ERROR_BOUND } from './latency-histogram.ts';
import { createPostgresStorage } from './postgres-storage.ts';

const H = 3_600_000;
const T0 = Date.parse('2025-04-01T00:00:00.000Z');
/**
 * 77 hours are closed by then (the data's 72 and five empty ones): 48 the first run, 29 the second, which also
 * recomputes the first 48 once (the first run's records are looked at again, for an INSERT that was in flight).
 */
const NOW = T0 + 77 * H + 10 * 60_000;
const JOB: UsageMaintenance = { now: NOW, rollups: true, retention: false, rawDays: 30, rollupDays: 400 };
const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * 72 hours of four requests each (and an attempt for every third), from a fixed pseudo-random sequence:
 * latencies from 0.25 ms to 16 s in quarter milliseconds, costs in 64ths of a dollar, so every sum is exact.
 */
function dataset(): UsageRecord[] {
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
  const records: UsageRecord[] = [];
  for (let i = 0; i < 72 * 4; i++) {
    const startedAt = iso(T0 + Math.floor(i / 4) * H + Math.floor(next() * H));
    const latencyMs = Math.max(0.25, Math.round(2 ** (next() * 16 - 2) * 4) / 4);
    const model = pick(['m1', 'm2', null]);
    const request = makeUsageRecord({
      startedAt, latencyMs, ttftMs: next() < 0.2 ? null : Math.round(latencyMs * next() * 4) / 4,
      workspaceId: pick(['ws-a', 'ws-b', null]), keyId: pick(['k1', 'k2', 'k3', null]), modelServed: model, modelRequested: model ?? 'm-x',
      provider: model === null ? null : 'p1', outcome: pick(['ok', 'ok', 'ok', 'error', 'client_aborted']),
      inputTokens: Math.floor(next() * 1000), outputTokens: Math.floor(next() * 500), cachedInputTokens: Math.floor(next() * 50),
      cacheWriteTokens: Math.floor(next() * 5), costUsd: Math.floor(next() * 64) / 64,
    });
    records.push(request);
    if (i % 3 === 0) records.push({ ...request, id: `${request.id}-a`, kind: 'attempt', attempt: 1, latencyMs: 1e6, costUsd: 100 });
  }
  return records;
}

const RANGES: readonly UsageRange[] = [
  { since: iso(T0), until: iso(T0 + 72 * H) },
  { since: '2025-04-01T05:17:13.250Z', until: '2025-04-03T19:42:01.000Z' },
  { since: '2025-04-02T10:30:00.000Z', until: '2025-04-02T14:30:00.000Z' },
  { since: '2025-04-01T23:00:00.000Z', until: '2025-04-05T00:00:00.000Z', workspaceId: 'ws-a' },
  { since: iso(T0 - 24 * H), until: iso(T0 + 100 * H), keyId: 'k2', model: 'm1' },
];
const GROUPINGS: readonly UsageGroupBy[] = ['model', 'key', 'workspace', 'day'];

/** Within the histograms' bound of the exact percentile (half a millisecond under 1 ms). */
function assertNear(actual: number | null, exact: number | null, what: string): void {
  if (exact === null || actual === null) return assert.equal(actual, exact, what);
  const bound = exact < 1 ? 0.5 : exact * RELATIVE_ERROR_BOUND * (1 + 1e-9);
  assert.ok(Math.abs(actual - exact) <= bound, `${what}: ${actual} is not within ${bound} of ${exact}`);
}

function assertTimes(actual: TimeFigures, exact: TimeFigures, what: string): void {
  assert.equal(actual.mean, exact.mean, `${what} mean`);
  assertNear(actual.p50, exact.p50, `${what} p50`);
  assertNear(actual.p95, exact.p95, `${what} p95`);
}

/** Counts, tokens, cost and means exactly; percentiles within the bound. */
function assertFigures(actual: UsageFigures, exact: UsageFigures, what: string): void {
  const { latencyMs, ttftMs, ...counts } = actual;
  const { latencyMs: exactLatency, ttftMs: exactTtft, ...exactCounts } = exact;
  assert.deepEqual(counts, exactCounts, what);
  assertTimes(latencyMs, exactLatency, `${what} latency`);
  assertTimes(ttftMs, exactTtft, `${what} ttft`);
}

const { schemas, admin, closeAfter } = postgresTestFixture();

async function open(schema: string): Promise<Storage> {
  const storage = createPostgresStorage({ connectionString: TEST_POSTGRES_URL, schema });
  closeAfter(() => storage.close());
  await storage.migrate();
  return storage;
}

/** A schema with the data set, and the memory oracle holding the same. */
async function loaded(records = dataset()): Promise<{ schema: string; pgs: Storage; oracle: Storage }> {
  const schema = schemas.fresh();
  const pgs = await open(schema);
  const oracle = createMemoryStorage();
  await pgs.usage.insertMany(records);
  await oracle.usage.insertMany(records);
  return { schema, pgs, oracle };
}

/** Runs the job until it finds nothing more to do; the hours each run recomputed. */
async function catchUp(storage: Storage, job: UsageMaintenance = JOB): Promise<number[]> {
  const runs: number[] = [];
  for (;;) {
    const report = await storage.usage.maintain(job);
    runs.push(report.hoursRolledUp);
    if (report.hoursRolledUp === 0) return runs;
  }
}

async function table(schema: string, name: string): Promise<unknown[]> {
  const { rows } = await admin.query(`SELECT * FROM ${schema}.${name} ORDER BY bucket_ms, workspace_id, key_id, model, provider`);
  return rows;
}

async function rollups(schema: string): Promise<unknown[][]> {
  return [await table(schema, 'usage_rollups_hourly'), await table(schema, 'usage_rollups_daily')];
}

async function assertSameAsOracle(pgs: Storage, oracle: Storage): Promise<void> {
  for (const [i, range] of RANGES.entries()) {
    assertFigures(await pgs.usage.summarize(range), await oracle.usage.summarize(range), `range ${i}`);
    for (const by of GROUPINGS) {
      const [actual, exact] = [await pgs.usage.breakdown(range, by), await oracle.usage.breakdown(range, by)];
      assert.deepEqual(actual.map((g) => g.key), exact.map((g) => g.key), `range ${i} by ${by}: groups`);
      actual.forEach((g, j) => assertFigures(g, exact[j]!, `range ${i} by ${by} ${g.key}`));
    }
  }
}

describe('PostgreSQL usage roll-ups', () => {
  it('answer with roll-ups and raw edges what the raw records alone answer (percentiles within 4.5 %)', async () => {
    const { schema, pgs, oracle } = await loaded();
    assert.deepEqual(await catchUp(pgs), [48, 77, 0]);
    assert.ok((await table(schema, 'usage_rollups_hourly')).length > 72, 'one row per hour and group');
    assert.ok((await table(schema, 'usage_rollups_daily')).length > 3);
    await assertSameAsOracle(pgs, oracle);
  });

  it('read the roll-ups for rolled-up hours: the raw records of a whole day can be gone', async () => {
    const { schema, pgs, oracle } = await loaded();
    await catchUp(pgs);
    const range = { since: iso(T0), until: iso(T0 + 72 * H) };
    const { rowCount } = await admin.query(`DELETE FROM ${schema}.usage_records WHERE started_at_ms >= $1 AND started_at_ms < $2`, [T0 + 24 * H, T0 + 48 * H]);
    assert.ok((rowCount ?? 0) > 90);
    assertFigures(await pgs.usage.summarize(range), await oracle.usage.summarize(range), 'whole range');
  });

  it('change nothing when run again, or when every hour is recomputed from scratch', async () => {
    const { schema, pgs } = await loaded();
    await catchUp(pgs);
    const first = await rollups(schema);
    assert.deepEqual(await catchUp(pgs), [0]);
    assert.deepEqual(await rollups(schema), first);
    await admin.query(`UPDATE ${schema}.usage_rollup_state SET rolled_until_ms = $1`, [T0]);
    assert.deepEqual(await catchUp(pgs), [48, 29, 0]);
    assert.deepEqual(await rollups(schema), first);
  });

  it('are made once when three replicas run the job at the same moment: the lock lets one at a time', async () => {
    const records = dataset();
    const single = await loaded(records);
    await catchUp(single.pgs);
    const schema = schemas.fresh();
    const replicas = [await open(schema), await open(schema), await open(schema)];
    await replicas[0]!.usage.insertMany(records);
    const reports = [];
    for (let round = 0; round < 4; round++) reports.push(...await Promise.all(replicas.map((r) => r.usage.maintain(JOB))));
    assert.equal(reports.reduce((sum, r) => sum + r.hoursRolledUp, 0), 48 + 77, 'as one replica alone: never an hour twice in one run');
    assert.ok(reports.some((r) => r.ran), 'someone ran it');
    assert.deepEqual(await rollups(schema), await rollups(single.schema));
  });

  it('recompute an hour already rolled up when records for it arrive late', async () => {
    const { pgs, oracle } = await loaded();
    await catchUp(pgs);
    const late = [makeUsageRecord({ startedAt: '2025-04-02T10:15:00.000Z', latencyMs: 123.25, workspaceId: 'ws-a', costUsd: 0.5 }),
      makeUsageRecord({ startedAt: '2025-04-01T01:00:00.000Z', latencyMs: 3, outcome: 'error', keyId: 'k9' })];
    await pgs.usage.insertMany(late);
    await oracle.usage.insertMany(late);
    // The next run sees them inserted; the one after takes them (their INSERT is surely committed by then).
    assert.deepEqual([(await pgs.usage.maintain(JOB)).hoursRolledUp, (await pgs.usage.maintain(JOB)).hoursRolledUp, (await pgs.usage.maintain(JOB)).hoursRolledUp], [0, 2, 0]);
    await assertSameAsOracle(pgs, oracle);
  });

  it('keep raw records that are not rolled up yet, however old, and delete what retention says once they are', async () => {
    const { schema, pgs } = await loaded();
    const count = async (name: string) => Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.${name}`)).rows[0].n);
    const oldest = async () => Number((await admin.query(`SELECT min(started_at_ms) AS m FROM ${schema}.usage_records`)).rows[0].m);
    const raw = await count('usage_records');
    // Far in the future, everything is past retention, but this first run rolls up 48 hours only: the rest stays.
    const future = { ...JOB, now: T0 + 400 * 24 * H, retention: true, rawDays: 1, rollupDays: 1000 };
    const report = await pgs.usage.maintain(future);
    assert.equal(report.hoursRolledUp, 48);
    assert.ok(report.rawDeleted > 0 && report.rawDeleted < raw);
    const left = await oldest();
    assert.ok(left >= T0 + 48 * H && left < T0 + 49 * H, 'raw records from the first hour not rolled up on are kept');
    assert.equal(report.rollupsDeleted, 0);
    // Now, at NOW: raw kept for 2 days (from 2025-04-02T05:00Z, the hour of NOW − 2 days), roll-ups for 2 days (from 2025-04-02).
    const { schema: other, pgs: fresh } = await loaded();
    await catchUp(fresh);
    const before = { hourly: (await table(other, 'usage_rollups_hourly')).length, daily: (await table(other, 'usage_rollups_daily')).length };
    const kept = await fresh.usage.maintain({ ...JOB, retention: true, rawDays: 2, rollupDays: 2 });
    const remaining = await admin.query(`SELECT min(started_at_ms) AS m, count(*) AS n FROM ${other}.usage_records`);
    assert.ok(Number(remaining.rows[0].m) >= T0 + 29 * H && Number(remaining.rows[0].m) < T0 + 30 * H);
    assert.equal(kept.rawDeleted + Number(remaining.rows[0].n), raw);
    const hourlyLeft = await admin.query(`SELECT min(bucket_ms) AS m, count(*) AS n FROM ${other}.usage_rollups_hourly`);
    const dailyLeft = await admin.query(`SELECT min(bucket_ms) AS m, count(*) AS n FROM ${other}.usage_rollups_daily`);
    assert.equal(Number(hourlyLeft.rows[0].m), T0 + 24 * H);
    assert.equal(Number(dailyLeft.rows[0].m), T0 + 24 * H);
    assert.equal(kept.rollupsDeleted, before.hourly + before.daily - Number(hourlyLeft.rows[0].n) - Number(dailyLeft.rows[0].n));
    assert.ok(kept.rollupsDeleted > 0);
  });

  it('delete raw records by age alone with roll-ups off', async () => {
    const { schema, pgs } = await loaded();
    const report = await pgs.usage.maintain({ ...JOB, rollups: false, retention: true, rawDays: 2 });
    assert.equal(report.hoursRolledUp, 0);
    const { rows } = await admin.query(`SELECT min(started_at_ms) AS m FROM ${schema}.usage_records`);
    assert.ok(Number(rows[0].m) >= T0 + 29 * H);
    assert.deepEqual(await rollups(schema), [[], []]);
  });
});
