import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import { KeyAdmin } from './auth/key-admin.ts';
import { KeyAuthenticator } from './auth/key-authenticator.ts';
import { BUILT_IN_PRICES } from './usage/price-table.ts';
import { PriceBook } from './usage/price-book.ts';
import type { Config } from './config/schema.ts';
import type { AppDeps } from './http/app-deps.ts';
import { Lifecycle } from './http/lifecycle.ts';
import { createLogger } from './observability/logger.ts';
import { GatewayMetrics, knownNames } from './observability/metrics.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { createProvider } from './providers/create-provider.ts';
import type { ProviderAdapter, WireFormat } from './providers/provider-adapter.ts';
import { Executor } from './routing/executor.ts';
import { TargetCaller } from './routing/target-call.ts';
import { ByteBudget } from './upstream/byte-budget.ts';
import { closeTokenCountPool, countInputTokens } from './providers/formats/token-count-pool.ts';
import { UsageLedger } from './usage/usage-ledger.ts';
import { ModelCatalogue } from './routing/model-catalogue.ts';
import { ProviderModelLists } from './routing/provider-model-lists.ts';
import type { Storage } from './storage/ports.ts';
import { createSqliteStorage } from './storage/sqlite/sqlite-storage.ts';
import { UsageRecorder } from './usage/usage-recorder.ts';
import { VERSION } from './version.ts';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly deps: AppDeps;
  /** Stops accepting, lets in-flight requests finish up to the grace period, flushes usage, closes stores. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  readonly config: Config;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Defaults to SQLite under config.dataDir. */
  readonly storage?: Storage;
  readonly logger?: Logger;
}

/** The configured store: today the embedded SQLite file under config.dataDir. The CLI opens it through here too. */
export function openStorage(config: Config): Storage {
  return createSqliteStorage({ path: join(config.dataDir, 'switchboard.db') });
}

/** The composition root: config → adapters → app. The only place that picks concrete adapters. */
export async function composeGateway(options: ComposeOptions): Promise<Gateway> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.logLevel);
  const storage = options.storage ?? openStorage(config);
  await storage.migrate();
  // One budget for every upstream answer being read whole, whichever provider sent it.
  const bufferBudget = new ByteBudget(config.server.maxBufferedResponseBytes);
  const providers = new Map<string, ProviderAdapter>(config.providers.map((p) => [p.name, createProvider(p, options.env ?? process.env, bufferBudget)]));
  const formats = new Map<string, WireFormat>([...providers].map(([name, p]) => [name, p.format]));
  const catalogue = new ModelCatalogue(config, formats);
  // Model ids are caller-chosen: only configured ones get their own metric series (see GatewayMetricsOptions).
  const metrics = new GatewayMetrics({ knownModel: knownNames(catalogue.list().flatMap((m) => [m.id, m.model])), knownProvider: (name) => providers.has(name) });
  const usage = new UsageRecorder({ store: storage.usage, gauges: metrics, logger, ...config.usage });
  const ledger = new UsageLedger(new PriceBook(BUILT_IN_PRICES, config.pricing), [metrics.observe, usage.record]);
  const caller = new TargetCaller({
    providers, ledger, defaultMaxTokens: config.routing.defaultMaxTokens,
    maxResponseBytes: new Map(config.providers.map((p) => [p.name, p.maxResponseBytes])), bufferBudget,
    // The parser counts decoded characters, never more than the bytes they came from: no event within the byte bound is refused.
    maxEventChars: config.server.maxStreamEventBytes, countTokens: countInputTokens,
  });
  const executor = new Executor({ catalogue, caller, ledger });
  const authenticator = new KeyAuthenticator({ store: storage.keys, adminKey: config.adminKey });
  const deps: AppDeps = {
    config, logger, storage, authenticator, keyAdmin: new KeyAdmin(storage.keys), catalogue, executor, providers, usage, metrics,
    modelLists: new ProviderModelLists(providers.values()),
    version: VERSION, lifecycle: new Lifecycle(),
  };
  const app = await buildApp(deps);
  return { app, deps, close: () => shutdown(app, deps) };
}

/** Creates and prints the bootstrap admin key on a first start without SWITCHBOARD_ADMIN_KEY. */
export async function ensureBootstrapKey(deps: AppDeps, print: (text: string) => void): Promise<void> {
  if (deps.config.adminKey !== undefined || (await deps.storage.keys.count()) > 0) return;
  const created = await deps.keyAdmin.create({ name: 'bootstrap-admin', role: 'admin' });
  print([
    '', '  Switchboard bootstrap admin key (shown once, stored only as a hash):', '',
    `    ${created.key}`, '',
    '  Use it as "Authorization: Bearer <key>". Create more with POST /api/keys or `npm run switchboard -- keys create`.', '',
  ].join('\n'));
}

/** Listens on the HTTP and metrics ports and wires SIGTERM/SIGINT to a graceful stop. */
export async function serve(gateway: Gateway): Promise<void> {
  const { config } = gateway.deps;
  await gateway.app.listen({ host: config.server.host, port: config.server.port });
  const metricsServer = config.server.metricsPort === 0 ? undefined
    : await startMetricsServer(gateway.deps.metrics, config.server.metricsHost ?? config.server.host, config.server.metricsPort);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    gateway.deps.logger.info({ signal }, 'shutting down');
    void Promise.all([gateway.close(), metricsServer?.close()]).then(
      () => process.exit(0),
      (err: unknown) => { gateway.deps.logger.error({ err }, 'shutdown failed'); process.exit(1); });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

async function shutdown(app: FastifyInstance, deps: AppDeps): Promise<void> {
  deps.lifecycle.shuttingDown = true;
  const deadline = setTimeout(() => {
    deps.logger.warn('shutdown grace period over; closing the remaining connections');
    app.server.closeAllConnections();
  }, deps.config.server.shutdownGraceMs);
  deadline.unref();
  // Connections that finish their last request during the grace period would otherwise idle until the
  // keep-alive timeout; close each one as soon as it goes idle.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  await app.close();
  clearTimeout(deadline);
  clearInterval(sweeper);
  // fastify does not wait for hijacked (streamed) replies; their usage records are written as they end, so
  // wait for them (they end at the latest when the grace deadline cut their connections) before the last flush.
  await deps.lifecycle.idle(deps.config.server.shutdownGraceMs + 5000);
  await deps.usage.close();
  await deps.authenticator.close();
  deps.modelLists.close();
  await closeTokenCountPool();
  await Promise.all([...deps.providers.values()].map((p) => p.close()));
  await deps.storage.close();
}
