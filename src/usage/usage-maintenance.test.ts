import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pino from 'pino';
import { makeAuditEvent } from '../../test/support/audit-event-factory.ts';
import { makeUsageRecord } from '../../test/support/usage-record-factory.ts';
import { until } from '../../test/support/until.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import type { UsageAnalytics } from '../storage/ports.ts';
import { UsageMaintenanceJob } from './usage-maintenance.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

function settings(retentionIntervalMs = 3_600_000, rollupsIntervalMs = 60_000) {
  return { retention: { rawDays: 30, rollupDays: 400, auditDays: 400, intervalMs: retentionIntervalMs }, rollups: { enabled: true, intervalMs: rollupsIntervalMs } };
}

function logged(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } }) };
}

async function storeWithOldAndNew() {
  const storage = createMemoryStorage();
  const old = makeUsageRecord({ startedAt: new Date(NOW - 31 * DAY).toISOString() });
  const recent = makeUsageRecord({ startedAt: new Date(NOW - DAY).toISOString() });
  await storage.usage.insertMany([old, recent]);
  return { storage, recent };
}

describe('UsageMaintenanceJob', () => {
  it('runs retention only once its interval has passed since start or since the last retention', async () => {
    const { storage, recent } = await storeWithOldAndNew();
    let now = NOW;
    const { logger, lines } = logged();
    const job = new UsageMaintenanceJob({ store: storage.usage, settings: () => settings(), logger, now: () => now });
    assert.equal((await job.runOnce())?.rawDeleted, 0, 'not due right after start');
    now += 3_600_000;
    assert.deepEqual(await job.runOnce(), { ran: true, hoursRolledUp: 0, rawDeleted: 1, rollupsDeleted: 0 });
    assert.deepEqual((await storage.usage.list({})).map((r) => r.id), [recent.id]);
    assert.deepEqual(lines.map((l) => [l.event, l.rawDeleted]), [['usage_maintenance', 1]]);
    await storage.usage.insertMany([makeUsageRecord({ startedAt: new Date(NOW - 40 * DAY).toISOString() })]);
    now += 60_000;
    assert.equal((await job.runOnce())?.rawDeleted, 0, 'the next retention is an interval later');
  });

  it('deletes audit events past usage.retention.auditDays at each retention run', async () => {
    const storage = createMemoryStorage();
    const old = makeAuditEvent({ at: new Date(NOW - 401 * DAY).toISOString() });
    const recent = makeAuditEvent({ at: new Date(NOW - 399 * DAY).toISOString() });
    await storage.audit.insertMany([old, recent]);
    let now = NOW - 3_600_000;
    const { logger, lines } = logged();
    const job = new UsageMaintenanceJob({ store: storage.usage, audit: storage.audit, settings: () => settings(), logger, now: () => now });
    now = NOW;
    await job.runOnce();
    assert.deepEqual((await storage.audit.list({})).map((e) => e.id), [recent.id]);
    assert.deepEqual(lines.filter((l) => l.event === 'audit_retention').map((l) => l.deleted), [1]);
  });

  it('logs a failing store once, and once more when it works again', async () => {
    const down = createMemoryStorage();
    await down.close();
    const up = createMemoryStorage();
    let store: UsageAnalytics = down.usage;
    const { logger, lines } = logged();
    const job = new UsageMaintenanceJob({ store: { maintain: (j) => store.maintain(j) }, settings: () => settings(), logger, now: () => NOW });
    assert.equal(await job.runOnce(), undefined);
    assert.equal(await job.runOnce(), undefined);
    store = up.usage;
    assert.equal((await job.runOnce())?.ran, true);
    assert.deepEqual(lines.map((l) => l.event), ['usage_maintenance_failed', 'usage_maintenance_recovered']);
  });

  it('runs by itself every interval once started, and stops on close', async () => {
    const { storage, recent } = await storeWithOldAndNew();
    let now = NOW;
    const job = new UsageMaintenanceJob({ store: storage.usage, settings: () => settings(20, 10), logger: pino({ level: 'silent' }), now: () => (now += 10) });
    job.start();
    await until(async () => (await storage.usage.list({})).length === 1, 'the old record deleted by a scheduled run');
    await job.close();
    assert.deepEqual((await storage.usage.list({})).map((r) => r.id), [recent.id]);
    await storage.usage.insertMany([makeUsageRecord({ startedAt: new Date(NOW - 50 * DAY).toISOString() })]);
    await sleep(60);
    assert.equal((await storage.usage.list({})).length, 2, 'nothing runs after close');
  });
});
