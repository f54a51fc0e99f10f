import type { Pricing } from '../config/schema.ts';
import type { BudgetLimits } from '../domain/api-key-record.ts';
import type { LimitCheck } from '../limits/limiter.ts';
import { BUDGET_PERIODS, periodBounds, type BudgetPeriod } from './periods.ts';

export type { BudgetLimits } from '../domain/api-key-record.ts';

/** Whose budget a counter is: the workspace's, or one key's (under the same workspace tag). */
export type BudgetOwner = { readonly kind: 'workspace' } | { readonly kind: 'key'; readonly keyId: string };

export const WORKSPACE_BUDGET: BudgetOwner = { kind: 'workspace' };

/** A soft budget's counter never refuses; its configured limit is kept for the alerts and the budget view. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** The counter key of a period's budget, under the workspace's tag: "budget:daily", "budget:key:<id>:daily". */
export function budgetKey(period: BudgetPeriod, owner: BudgetOwner = WORKSPACE_BUDGET): string {
  return owner.kind === 'workspace' ? `budget:${period}` : `budget:key:${owner.keyId}:${period}`;
}

/** The owner and period a budget counter key names, or undefined for any other key. */
export function budgetOfKey(key: string): { readonly owner: BudgetOwner; readonly period: BudgetPeriod } | undefined {
  if (!key.startsWith('budget:')) return undefined;
  const parts = key.slice('budget:'.length).split(':');
  const period = parts.at(-1) ?? '';
  if (!(BUDGET_PERIODS as readonly string[]).includes(period)) return undefined;
  const owner: BudgetOwner | undefined = parts.length === 1 ? WORKSPACE_BUDGET : parts[0] === 'key' && parts.length >= 3 ? { kind: 'key', keyId: parts.slice(1, -1).join(':') } : undefined;
  return owner === undefined ? undefined : { owner, period: period as BudgetPeriod };
}

/** USD → the micro-dollars counters hold. */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/**
 * One counter per period the workspace has a budget for, each taking `reserveMicroUsd` (the request's worst case)
 * until the period ends in `timeZone`; settled to the real cost when the request ends. Soft budgets count the same
 * way but never refuse.
 */
export function budgetChecks(limits: BudgetLimits | null | undefined, reserveMicroUsd: number, nowMs: number, timeZone: string, owner: BudgetOwner = WORKSPACE_BUDGET): LimitCheck[] {
  if (limits === undefined || limits === null) return [];
  const bounds = periodBounds(nowMs, timeZone);
  const hard = limits.enforcement !== 'soft';
  const checks: LimitCheck[] = [];
  for (const period of BUDGET_PERIODS) {
    const usd = limits[period];
    if (usd === undefined) continue;
    checks.push({ key: budgetKey(period, owner), kind: 'counter', limit: hard ? toMicroUsd(usd) : UNLIMITED, windowMs: 0, resetAt: bounds[period].endMs, amount: reserveMicroUsd, unit: 'microUsd' });
  }
  return checks;
}

/** Whether any period has a budget. */
export function hasBudget(limits: BudgetLimits | null | undefined): limits is BudgetLimits {
  return limits !== undefined && limits !== null && BUDGET_PERIODS.some((p) => limits[p] !== undefined);
}

/**
 * The most a call can cost, in micro-dollars: its input tokens and the output it may produce at the highest price
 * among the targets it may be sent to (a fallback can cost more than the first choice). Prices are USD per
 * million tokens, so tokens × price is micro-dollars.
 */
export function worstCaseMicroUsd(prices: readonly Pricing[], inputTokens: number, outputTokens: number): number {
  let worst = 0;
  // Input written to a prompt cache can be dearer than plain input: the worst case takes the dearer.
  for (const p of prices) worst = Math.max(worst, inputTokens * Math.max(p.inputPerMTok, p.cacheWritePerMTok ?? 0) + outputTokens * p.outputPerMTok);
  return Math.ceil(worst);
}
