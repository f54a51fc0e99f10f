import type { CheckState } from '../limits/limiter.ts';
import { budgetKey, type BudgetLimits } from './budget-checks.ts';
import { BUDGET_PERIODS, NEVER_MS, type BudgetPeriod } from './periods.ts';

/** GET /api/workspaces/{id}/budget and /api/keys/{id}/budget: spend against each limit. */
export interface BudgetView {
  /** The workspace, or the key's workspace (null: a key of no workspace). */
  readonly workspaceId: string | null;
  /** For a key's own budget: the key. */
  readonly keyId?: string;
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

export function budgetView(owner: { readonly workspaceId: string | null; readonly keyId?: string }, limits: BudgetLimits | null | undefined, timeZone: string, states: readonly CheckState[], shared: boolean): BudgetView {
  const periods = BUDGET_PERIODS.flatMap((period) => {
    const usd = limits?.[period];
    if (usd === undefined) return [];
    const key = owner.keyId === undefined ? budgetKey(period) : budgetKey(period, { kind: 'key', keyId: owner.keyId });
    const state = states.find((s) => s.key === key);
    const spent = state === undefined ? 0 : (state.limit - state.remaining) / 1_000_000;
    return [{
      period, limitUsd: usd, spentUsd: round(spent), remainingUsd: round(Math.max(0, usd - spent)),
      resetsAt: state === undefined || state.resetAt >= NEVER_MS ? null : new Date(state.resetAt).toISOString(),
    }];
  });
  return { ...owner, enforcement: limits?.enforcement ?? 'hard', timeZone, periods, shared };
}

function round(usd: number): number {
  return Math.round(usd * 1_000_000) / 1_000_000;
}
