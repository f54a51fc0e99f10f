import type { Logger } from 'pino';
import type { CheckState, LimitCheck } from '../limits/limiter.ts';
import { budgetOfKey, toMicroUsd, type BudgetLimits } from './budget-checks.ts';
import type { BudgetPeriod } from './periods.ts';

/** One alert: a workspace's spend (reservations included) crossed a threshold of one period's budget. */
export interface BudgetAlert {
  readonly event: 'budget_alert';
  readonly workspaceId: string;
  readonly period: BudgetPeriod;
  readonly thresholdPercent: number;
  readonly limitUsd: number;
  readonly spentUsd: number;
  readonly enforcement: 'hard' | 'soft';
  readonly at: string;
}

export interface BudgetAlertSettings {
  readonly thresholds: readonly number[];
  readonly webhookUrl?: string | undefined;
}

const WEBHOOK_TIMEOUT_MS = 2_000;
/** The answer of nearly every admission: no threshold crossed. */
const NO_ALERTS: readonly BudgetAlert[] = Object.freeze([]);

/** A threshold crossed, and when its period ends (its claim lasts that long). */
export interface Crossing { readonly alert: BudgetAlert; readonly resetAt: number }

/** Claims an event once per period across every replica (Admissions.claimOnce, bound to the workspace's tag). */
export type ClaimOnce = (key: string, resetAt: number) => Promise<boolean>;

/**
 * Raises an alert when an admission takes a workspace's spend — what was billed plus what requests in flight have
 * reserved — across a threshold. A reservation settled lower can bring spend back under and the next request
 * across again, so each threshold is claimed once per period in the limiter (every replica agrees which one
 * raises it). The alert is a warn log line (event "budget_alert") and, when configured, a POST to the webhook,
 * sent off the request's path and never retried.
 */
export class BudgetAlerts {
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #post: (url: string, body: string) => Promise<unknown>;

  constructor(logger: Pick<Logger, 'warn'>, post: (url: string, body: string) => Promise<unknown> = postJson) {
    this.#logger = logger;
    this.#post = post;
  }

  /** After an admission that took `checks` and left `states`; resolves to the alerts raised (for tests). */
  async afterAdmission(workspaceId: string, limits: BudgetLimits, checks: readonly LimitCheck[], states: readonly CheckState[], settings: BudgetAlertSettings, claim: ClaimOnce, now = new Date()): Promise<readonly BudgetAlert[]> {
    const crossed = this.crossings(workspaceId, limits, checks, states, settings, now);
    return crossed.length === 0 ? NO_ALERTS : this.raise(workspaceId, crossed, settings, claim);
  }

  /** The thresholds an admission took the workspace's spend across, at once (nearly always none). */
  crossings(workspaceId: string, limits: BudgetLimits, checks: readonly LimitCheck[], states: readonly CheckState[], settings: BudgetAlertSettings, now = new Date()): readonly Crossing[] {
    const crossed: Crossing[] = [];
    checks.forEach((check, i) => {
      if (check.unit !== 'microUsd') return;
      const budget = budgetOfKey(check.key);
      // Alerts are about the workspace's budget; a key's own refuses but does not alert.
      const period = budget?.owner.kind === 'workspace' ? budget.period : undefined;
      const state = states[i];
      const usd = period === undefined ? undefined : limits[period];
      if (period === undefined || state === undefined || usd === undefined || usd === 0) return;
      const after = check.limit - state.remaining;
      const before = after - check.amount;
      const limit = toMicroUsd(usd);
      for (const percent of settings.thresholds) {
        const at = (limit * percent) / 100;
        if (before < at && after >= at) {
          crossed.push({
            resetAt: check.resetAt ?? 0,
            alert: { event: 'budget_alert', workspaceId, period, thresholdPercent: percent, limitUsd: usd, spentUsd: after / 1_000_000, enforcement: limits.enforcement ?? 'hard', at: now.toISOString() },
          });
        }
      }
    });
    return crossed;
  }

  /** Raises each crossing that no replica has raised this period yet. */
  async raise(workspaceId: string, crossed: readonly Crossing[], settings: BudgetAlertSettings, claim: ClaimOnce): Promise<readonly BudgetAlert[]> {
    const raised: BudgetAlert[] = [];
    for (const { alert, resetAt } of crossed) {
      let first: boolean;
      try {
        first = await claim(`budget-alert:${alert.period}:${alert.thresholdPercent}`, resetAt);
      } catch (err) {
        this.#logger.warn({ event: 'budget_alert_claim_failed', workspaceId, err: err instanceof Error ? err.message : String(err) }, 'a budget alert could not be claimed; raised anyway');
        first = true;
      }
      if (!first) continue;
      raised.push(alert);
      this.#raise(alert, settings.webhookUrl);
    }
    return raised;
  }

  #raise(alert: BudgetAlert, webhookUrl: string | undefined): void {
    this.#logger.warn(alert, `workspace ${alert.workspaceId} reached ${alert.thresholdPercent} % of its ${alert.period} budget ($${alert.spentUsd.toFixed(2)} of $${alert.limitUsd})`);
    if (webhookUrl === undefined) return;
    this.#post(webhookUrl, JSON.stringify(alert)).catch((err: unknown) => {
      this.#logger.warn({ event: 'budget_alert_webhook_failed', workspaceId: alert.workspaceId, err: err instanceof Error ? err.message : String(err) }, 'the budget alert webhook failed');
    });
  }
}

async function postJson(url: string, body: string): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS), redirect: 'error' });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`the webhook answered ${res.status}`);
  return undefined;
}
