import type { CheckState } from '../limits/limiter.ts';
import { budgetKey, type BudgetLimits } from './budget-checks.ts';
import { BUDGET_PERIODS, NEVER_MS, type BudgetPeriod } from './periods.ts';

/** GET /api/workspaces/{id}/budget: spend against each limit. */
export interface BudgetView {
  readonly workspaceId: string;
  readonly enforcement: 'hard' | 'soft';
  readonly timeZone: string;
  readonly periods: ReadonlyArray<{
    readonly period: BudgetPeriod;
    readonly limitUsd: number;
    /** Billed, plus what requests in flight have reserved. */
    readonly spentUsd: number;
    readonly remainingUsd: number;
    /** ISO time the period starts again; null for total. */
    readonly resetsAt: string | null;
  }>;
  /** false while the shared store cannot be read: the figures are this replica's own. */
  readonly shared: boolean;
}

export function budgetView(workspaceId: string, limits: BudgetLimits | undefined, timeZone: string, states: readonly CheckState[], shared: boolean): BudgetView {
  const periods = BUDGET_PERIODS.flatMap((period) => {
    const usd = limits?.[period];
    if (usd === undefined) return [];
    const state = states.find((s) => s.key === budgetKey(period));
    const spent = state === undefined ? 0 : (state.limit - state.remaining) / 1_000_000;
    return [{
      period, limitUsd: usd, spentUsd: round(spent), remainingUsd: round(Math.max(0, usd - spent)),
      resetsAt: state === undefined || state.resetAt >= NEVER_MS ? null : new Date(state.resetAt).toISOString(),
    }];
  });
  return { workspaceId, enforcement: limits?.enforcement ?? 'hard', timeZone, periods, shared };
}

function round(usd: number): number {
  return Math.round(usd * 1_000_000) / 1_000_000;
}
