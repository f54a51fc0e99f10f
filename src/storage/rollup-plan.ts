import { DAY_MS, HOUR_MS } from './usage-figures.ts';

/** [from, to) in epoch ms. */
export type Span = readonly [from: number, to: number];

/**
 * Where a query over [since, until) reads each part of its range from: daily roll-ups for the whole days, hourly
 * roll-ups for the whole hours around them, raw records for the partial hours at the edges and for everything
 * from `rolledUntil` on (hours not rolled up yet). Empty spans are left out.
 */
export interface RollupPlan {
  readonly raw: readonly Span[];
  readonly hourly: readonly Span[];
  readonly daily: readonly Span[];
}

const ceilTo = (ms: number, unit: number): number => Math.ceil(ms / unit) * unit;
const floorTo = (ms: number, unit: number): number => Math.floor(ms / unit) * unit;

function spans(...candidates: Span[]): Span[] {
  return candidates.filter(([from, to]) => to > from);
}

/** The plan for [sinceMs, untilMs) when every hour before rolledUntilMs is rolled up (0: none is). */
export function planRange(sinceMs: number, untilMs: number, rolledUntilMs: number): RollupPlan {
  const hourFrom = ceilTo(sinceMs, HOUR_MS);
  const hourTo = Math.min(floorTo(untilMs, HOUR_MS), floorTo(rolledUntilMs, HOUR_MS));
  if (hourTo <= hourFrom) return { raw: spans([sinceMs, untilMs]), hourly: [], daily: [] };
  const raw = spans([sinceMs, hourFrom], [hourTo, untilMs]);
  const dayFrom = ceilTo(hourFrom, DAY_MS);
  const dayTo = floorTo(hourTo, DAY_MS);
  if (dayTo <= dayFrom) return { raw, hourly: [[hourFrom, hourTo]], daily: [] };
  return { raw, hourly: spans([hourFrom, dayFrom], [dayTo, hourTo]), daily: [[dayFrom, dayTo]] };
}

/** True when the plan reads no roll-up: the answer is exact. */
export function rawOnly(plan: RollupPlan): boolean {
  return plan.hourly.length === 0 && plan.daily.length === 0;
}
