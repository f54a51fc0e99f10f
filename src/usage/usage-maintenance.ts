import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { AuditStore, ResponseStore, UsageAnalytics, UsageMaintenanceReport } from '../storage/ports.ts';

const DAY_MS = 86_400_000;

export interface UsageMaintenanceOptions {
  readonly store: Pick<UsageAnalytics, 'maintain'>;
  /** Audit events, deleted past usage.retention.auditDays at each retention run. */
  readonly audit?: Pick<AuditStore, 'deleteBefore'>;
  /** Stored Responses API responses, deleted once expired (each carries its own expiry) at each retention run. */
  readonly responses?: Pick<ResponseStore, 'deleteExpired'>;
  /** The current configuration's usage settings, read at every run (a new version applies from the next run on). */
  readonly settings: () => Pick<Config['usage'], 'retention' | 'rollups'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Runs the usage store's housekeeping off the request path: roll-ups every `usage.rollups.intervalMs` (PostgreSQL;
 * a no-op elsewhere) and retention every `usage.retention.intervalMs`, the first run one interval after start.
 * Every replica runs it; the store lets one at a time do the work. A failure is logged once until a run succeeds.
 */
export class UsageMaintenanceJob {
  readonly #o: UsageMaintenanceOptions;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #lastRetention: number;
  #failing = false;
  #closed = false;

  constructor(options: UsageMaintenanceOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    // Retention is first due one retention interval after start, like the first roll-up.
    this.#lastRetention = this.#now();
  }

  start(): void {
    this.#schedule();
  }

  /** One run now: roll-ups when on, retention when due. Resolves with what the store did, undefined when it failed. */
  async runOnce(): Promise<UsageMaintenanceReport | undefined> {
    const { retention, rollups } = this.#o.settings();
    const now = this.#now();
    const due = now - this.#lastRetention >= retention.intervalMs;
    try {
      const report = await this.#o.store.maintain({ now, rollups: rollups.enabled, retention: due, rawDays: retention.rawDays, rollupDays: retention.rollupDays });
      if (due && report.ran) {
        const auditDeleted = await this.#o.audit?.deleteBefore(now - retention.auditDays * DAY_MS) ?? 0;
        if (auditDeleted > 0) this.#o.logger.info({ event: 'audit_retention', deleted: auditDeleted }, 'audit events past usage.retention.auditDays deleted');
        const responsesDeleted = await this.#o.responses?.deleteExpired(now) ?? 0;
        if (responsesDeleted > 0) this.#o.logger.info({ event: 'responses_retention', deleted: responsesDeleted }, 'expired stored responses deleted');
        this.#lastRetention = now;
      }
      this.#succeeded(report);
      return report;
    } catch (err) {
      if (!this.#failing) this.#o.logger.warn({ event: 'usage_maintenance_failed', err: err instanceof Error ? err.message : String(err) }, 'usage roll-up or retention failed; trying again at the next interval');
      this.#failing = true;
      return undefined;
    }
  }

  /** Stops scheduling and waits for a run in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #succeeded(report: UsageMaintenanceReport): void {
    if (this.#failing) this.#o.logger.info({ event: 'usage_maintenance_recovered' }, 'usage roll-up and retention run again');
    this.#failing = false;
    if (report.hoursRolledUp + report.rawDeleted + report.rollupsDeleted > 0) {
      this.#o.logger.info({ event: 'usage_maintenance', ...report }, 'usage roll-up and retention');
    }
  }

  #schedule(): void {
    if (this.#closed) return;
    const { retention, rollups } = this.#o.settings();
    const interval = rollups.enabled ? Math.min(rollups.intervalMs, retention.intervalMs) : retention.intervalMs;
    this.#timer = setTimeout(() => {
      this.#running = this.runOnce().finally(() => this.#schedule());
    }, interval);
    this.#timer.unref();
  }
}
