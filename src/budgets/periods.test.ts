import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimeZone } from '../config/limits-schema.ts';
import { NEVER_MS, periodBounds } from './periods.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

describe('periodBounds', () => {
  it('counts days from midnight, weeks from Monday and months from the 1st, in UTC', () => {
    // Thursday 2026-12-03 15:30 UTC.
    const b = periodBounds(Date.parse('2026-12-03T15:30:00Z'), 'UTC');
    assert.deepEqual([iso(b.daily.startMs), iso(b.daily.endMs)], ['2026-12-03T00:00:00.000Z', '2026-12-04T00:00:00.000Z']);
    assert.deepEqual([iso(b.weekly.startMs), iso(b.weekly.endMs)], ['2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z']);
    assert.deepEqual([iso(b.monthly.startMs), iso(b.monthly.endMs)], ['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    assert.deepEqual([b.total.startMs, b.total.endMs], [0, NEVER_MS]);
  });

  it('uses the wall clock of the time zone, across a year end', () => {
    // 2026-12-31 23:30 in New York is 2027-01-01 04:30 UTC: still December there.
    const b = periodBounds(Date.parse('2027-01-01T04:30:00Z'), 'America/New_York');
    assert.equal(iso(b.daily.startMs), '2026-12-31T05:00:00.000Z');
    assert.equal(iso(b.monthly.startMs), '2026-12-01T05:00:00.000Z');
    assert.equal(iso(b.monthly.endMs), '2027-01-01T05:00:00.000Z');
  });

  it('has 23- and 25-hour days where daylight saving time changes', () => {
    // Europe/Berlin: clocks go forward on 2026-03-29 and back on 2026-10-25.
    const spring = periodBounds(Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin').daily;
    assert.equal(spring.endMs - spring.startMs, 23 * 3_600_000);
    assert.equal(iso(spring.startMs), '2026-03-28T23:00:00.000Z');
    const autumn = periodBounds(Date.parse('2026-10-25T12:00:00Z'), 'Europe/Berlin').daily;
    assert.equal(autumn.endMs - autumn.startMs, 25 * 3_600_000);
  });

  it('starts the week on Monday even on a Sunday, and knows which zones exist', () => {
    const sunday = periodBounds(Date.parse('2026-12-06T10:00:00Z'), 'UTC').weekly;
    assert.equal(iso(sunday.startMs), '2026-11-30T00:00:00.000Z');
    assert.equal(isTimeZone('Asia/Kolkata'), true);
    assert.equal(isTimeZone('Mars/Olympus'), false);
  });
});
