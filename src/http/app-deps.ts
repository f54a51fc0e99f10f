import type { Logger } from 'pino';
import type { KeyAdmin } from '../auth/key-admin.ts';
import type { KeyAuthenticator } from '../auth/key-authenticator.ts';
import type { Config } from '../config/schema.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { ProviderAdapter } from '../providers/provider-adapter.ts';
import type { Executor } from '../routing/executor.ts';
import type { ModelCatalogue } from '../routing/model-catalogue.ts';
import type { ProviderModelLists } from '../routing/provider-model-lists.ts';
import type { Storage } from '../storage/ports.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { UsageRecorder } from '../usage/usage-recorder.ts';

/** Everything buildApp needs, wired by main.ts (or by a test). */
export interface AppDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly authenticator: KeyAuthenticator;
  readonly keyAdmin: KeyAdmin;
  readonly catalogue: ModelCatalogue;
  /** The providers' own model lists, cached, for GET /v1/models. */
  readonly modelLists: ProviderModelLists;
  readonly executor: Executor;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly usage: UsageRecorder;
  readonly metrics: GatewayMetrics;
  readonly version: string;
  /** Flipped by the shutdown sequence so /ready turns 503 before the listener closes. */
  readonly lifecycle: Lifecycle;
}
