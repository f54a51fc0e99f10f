import type { Logger } from 'pino';
import type { AuditWriter } from '../audit/audit-log.ts';
import type { KeyAdmin } from '../auth/key-admin.ts';
import type { KeyAuthenticator } from '../auth/key-authenticator.ts';
import type { Config } from '../config/schema.ts';
import type { ConfigAdmin } from '../admin/config-admin.ts';
import type { VersionedConfig } from '../config/versioned-config.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { LiveRouting } from '../routing/live-routing.ts';
import type { Storage } from '../storage/ports.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { HealthRegistry } from '../health/health-registry.ts';
import type { UsageWriter } from '../usage/record-pipeline.ts';
import type { Admissions } from '../limits/admissions.ts';
import type { BudgetAlerts } from '../budgets/budget-alerts.ts';

/** Everything buildApp needs, wired by main.ts (or by a test). */
export interface AppDeps {
  /**
   * The configuration at start: read here only for process settings (server, usage writer, store), which take
   * effect at the next start. Everything else is read per request from `routing.current` (or `versions`).
   */
  readonly config: Config;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly authenticator: KeyAuthenticator;
  readonly keyAdmin: KeyAdmin;
  /** The routing objects (providers, catalogue, executor, model lists) of the current configuration version. */
  readonly routing: LiveRouting;
  readonly versions: VersionedConfig;
  readonly configAdmin: ConfigAdmin;
  readonly usage: UsageWriter;
  /** Audit events of admin changes, key changes and refusals (the same log the admin services record in). */
  readonly audit: AuditWriter;
  readonly metrics: GatewayMetrics;
  readonly version: string;
  /** Breakers, ejection, probes and latency of every endpoint (memory, or Redis shared by every replica). */
  readonly health: HealthRegistry;
  /** Rate limits and budgets: each request's admission decision and its settlement. */
  readonly admissions: Admissions;
  /** Budget thresholds crossed by an admission: log lines and the webhook. */
  readonly budgetAlerts: BudgetAlerts;
  /** Flipped by the shutdown sequence so /ready turns 503 before the listener closes. */
  readonly lifecycle: Lifecycle;
}
