import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRange, rawOnly } from './rollup-plan.ts';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2025-03-10T00:00:00.000Z');
const at = (iso: string): number => Date.parse(iso);

describe('planRange', () => {
  it('reads raw records only while nothing is rolled up', () => {
    const plan = planRange(T0, T0 + 3 * D, 0);
    assert.deepEqual(plan, { raw: [[T0, T0 + 3 * D]], hourly: [], daily: [] });
    assert.ok(rawOnly(plan));
  });

  it('reads raw records for a range inside one hour, even when it is rolled up', () => {
    const plan = planRange(T0 + 60_000, T0 + 120_000, T0 + 10 * D);
    assert.deepEqual(plan, { raw: [[T0 + 60_000, T0 + 120_000]], hourly: [], daily: [] });
  });

  it('reads whole hours from the hourly roll-up and the partial hours at both edges raw', () => {
    const since = at('2025-03-10T01:15:00Z');
    const until = at('2025-03-10T05:30:00Z');
    assert.deepEqual(planRange(since, until, T0 + D), {
      raw: [[since, at('2025-03-10T02:00:00Z')], [at('2025-03-10T05:00:00Z'), until]],
      hourly: [[at('2025-03-10T02:00:00Z'), at('2025-03-10T05:00:00Z')]],
      daily: [],
    });
  });

  it('reads whole days from the daily roll-up, the hours around them hourly, the edges raw', () => {
    const since = at('2025-03-10T22:30:00Z');
    const until = at('2025-03-13T02:10:00Z');
    assert.deepEqual(planRange(since, until, at('2025-03-20T00:00:00Z')), {
      raw: [[since, at('2025-03-10T23:00:00Z')], [at('2025-03-13T02:00:00Z'), until]],
      hourly: [[at('2025-03-10T23:00:00Z'), at('2025-03-11T00:00:00Z')], [at('2025-03-13T00:00:00Z'), at('2025-03-13T02:00:00Z')]],
      daily: [[at('2025-03-11T00:00:00Z'), at('2025-03-13T00:00:00Z')]],
    });
  });

  it('reads raw records from where the roll-ups end, rounded down to the hour', () => {
    const since = T0;
    const until = T0 + 2 * D;
    const rolled = at('2025-03-11T06:20:00Z');
    assert.deepEqual(planRange(since, until, rolled), {
      raw: [[at('2025-03-11T06:00:00Z'), until]],
      hourly: [[at('2025-03-11T00:00:00Z'), at('2025-03-11T06:00:00Z')]],
      daily: [[T0, at('2025-03-11T00:00:00Z')]],
    });
  });

  it('leaves out empty spans when the range is aligned', () => {
    assert.deepEqual(planRange(T0, T0 + 2 * D, T0 + 5 * D), { raw: [], hourly: [], daily: [[T0, T0 + 2 * D]] });
    assert.deepEqual(planRange(T0 + H, T0 + 3 * H, T0 + 5 * D), { raw: [], hourly: [[T0 + H, T0 + 3 * H]], daily: [] });
  });

  it('covers the range exactly once, whatever the bounds', () => {
    for (const [since, until, rolled] of [[T0 + 1, T0 + 5 * D - 1, T0 + 3 * D + 7], [T0 - 5, T0 + H + 5, T0 + 2 * D], [T0 + 7 * H, T0 + 9 * D, T0 + 8 * D]] as const) {
      const plan = planRange(since, until, rolled);
      const all = [...plan.raw, ...plan.hourly, ...plan.daily].sort((a, b) => a[0] - b[0]);
      assert.equal(all[0]?.[0], since);
      assert.equal(all.at(-1)?.[1], until);
      all.slice(1).forEach((span, i) => assert.equal(span[0], all[i]?.[1], 'no gap and no overlap'));
    }
  });
});
