import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { ConfigAdmin } from './admin/config-admin.ts';
import { buildApp } from './app.ts';
import { KeyAdmin } from './auth/key-admin.ts';
import { KeyAuthenticator } from './auth/key-authenticator.ts';
import { buildConfig, fileInput } from './config/build-config.ts';
import { EtcdLayerSource } from './config/etcd-layer-source.ts';
import type { ConfigSources } from './config/load-config.ts';
import type { Config } from './config/schema.ts';
import { VersionedConfig } from './config/versioned-config.ts';
import type { AppDeps } from './http/app-deps.ts';
import { Lifecycle } from './http/lifecycle.ts';
import { createLogger } from './observability/logger.ts';
import { GatewayMetrics } from './observability/metrics.ts';
import { startMetricsServer } from './observability/metrics-server.ts';
import { createProvider } from './providers/create-provider.ts';
import { closeTokenCountPool, countInputTokens } from './providers/formats/token-count-pool.ts';
import { LiveRouting } from './routing/live-routing.ts';
import { RetryBudget } from './routing/retry-budget.ts';
import { ActiveProber } from './health/active-prober.ts';
import { healthSettingsOf, type HealthRegistry } from './health/health-registry.ts';
import { MemoryHealthRegistry } from './health/memory-health-registry.ts';
import { RedisHealthRegistry } from './health/redis-health-registry.ts';
import { createModeAdapter } from './modes/create-mode-adapter.ts';
import { reapStaleSidecars } from './modes/sidecar.ts';
import type { Storage } from './storage/ports.ts';
import { createPostgresStorage } from './storage/postgres/postgres-storage.ts';
import { createSqliteStorage } from './storage/sqlite/sqlite-storage.ts';
import { ByteBudget } from './upstream/byte-budget.ts';
import { BUILT_IN_PRICES } from './usage/price-table.ts';
import { modelHealthScores } from './admin/model-health.ts';
import { Admissions } from './limits/admissions.ts';
import { BudgetAlerts } from './budgets/budget-alerts.ts';
import { MemoryLimiter } from './limits/memory-limiter.ts';
import { RedisLimiter } from './limits/redis-limiter.ts';
import { Redis } from 'ioredis';
import type { UsageRecord } from './domain/usage-record.ts';
import { Journal } from './usage/journal/journal.ts';
import { RecordPipeline } from './usage/record-pipeline.ts';
import { openMessageSinks } from './usage/sinks/open-sinks.ts';
import { StoreSink } from './usage/sinks/store-sink.ts';
import { UsageMaintenanceJob } from './usage/usage-maintenance.ts';
import { VERSION } from './version.ts';
import { createJwtVerifier } from './auth/jwt-verifier.ts';

export interface Gateway {
  readonly app: FastifyInstance;
  readonly deps: AppDeps;
  /** Stops accepting, lets in-flight requests finish up to the grace period, flushes usage, closes stores. */
  close(): Promise<void>;
}

export interface ComposeOptions {
  /** This process's file (or a tree given directly) and environment. */
  readonly sources: ConfigSources;
  /** Defaults to the configured store: PostgreSQL with database.url, else SQLite under dataDir. */
  readonly storage?: Storage;
  readonly logger?: Logger;
}

/** The configured store: PostgreSQL when database.url (DATABASE_URL) is set, else the embedded SQLite file. The CLI opens it through here too. */
export function openStorage(config: Config): Storage {
  const db = config.database;
  if (db.url !== undefined) {
    return createPostgresStorage({
      connectionString: db.url, connectTimeoutMs: db.connectTimeoutMs, statementTimeoutMs: db.statementTimeoutMs, poolSize: db.poolSize,
      ...(db.schema === undefined ? {} : { schema: db.schema }),
    });
  }
  return createSqliteStorage({ path: join(config.dataDir, 'switchboard.db') });
}

/** The versioned configuration over `storage`, following the file, the store's notifications and etcd. */
export async function openVersionedConfig(sources: ConfigSources, initial: Config, storage: Storage, logger: Logger, options: { readonly follow?: boolean } = {}): Promise<VersionedConfig> {
  const cacheDir = join(initial.dataDir, 'config');
  const etcd = initial.etcd.endpoints.length === 0 || options.follow === false ? undefined : new EtcdLayerSource({
    endpoints: initial.etcd.endpoints, prefix: initial.etcd.prefix, connectTimeoutMs: initial.etcd.connectTimeoutMs,
    cacheFile: join(cacheDir, 'etcd-last-known-good.json'), logger,
  });
  return VersionedConfig.open({
    sources, store: storage.config, subscribe: (listener) => storage.subscribe(listener), logger, etcd,
    cacheFile: join(cacheDir, 'last-known-good.json'), storeTimeoutMs: initial.database.statementTimeoutMs, ...options,
  });
}

/** The composition root: config → adapters → app. The only place that picks concrete adapters. */
export async function composeGateway(options: ComposeOptions): Promise<Gateway> {
  const { sources } = options;
  // The file and environment alone decide the process settings (ports, store, logging): they apply until restart.
  const initial = buildConfig({ ...fileInput(sources.file), env: sources.env, source: sources.path ?? 'defaults and environment' });
  const logger = options.logger ?? createLogger(initial.logLevel);
  const storage = options.storage ?? openStorage(initial);
  try {
    await storage.migrate();
  } catch (err) {
    // A shared store that is down at start is survivable: the configuration comes from the last-known-good copy.
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot migrate the store; starting without it');
  }
  const versions = await openVersionedConfig(sources, initial, storage, logger);
  const config = versions.current().config;
  const metrics = new GatewayMetrics({ knownModel: (name) => routing.current.knownModel(name), knownProvider: (name) => routing.current.providers.has(name), knownAgentType: (name) => routing.current.knownAgentType(name) });
  const pipeline = await openPipeline(initial, config, storage, metrics, logger);
  const { usage, audit } = pipeline;
  const health = await openHealthRegistry(initial, config, logger);
  const prober = new ActiveProber({ registry: health, logger });
  const unwatchHealth = metrics.watchHealth(health);
  metrics.watchModelHealth(() => modelHealthScores(routing.current.config, (endpoint) => health.status(endpoint)));
  const unlogHealth = health.onTransition((t) => logger.warn({ endpoint: t.id, kind: t.kind, from: t.from, to: t.to, reason: t.reason }, 'endpoint health changed'));
  // Sidecars left running by a process that was killed (kill -9, OOM) are stopped before new ones start.
  const runDir = join(initial.dataDir, 'sidecars');
  await reapStaleSidecars(runDir, logger);
  const modeDeps = { env: sources.env, runDir, logger };
  const limiterRedis = openLimiterRedis(initial);
  const admissions = new Admissions({
    local: new MemoryLimiter(), logger,
    shared: limiterRedis === undefined ? undefined : new RedisLimiter({ redis: limiterRedis, keyPrefix: `${initial.redis.keyPrefix}limits:`, logger }),
  });
  // A request's record settles its admission: concurrency given back, token estimates replaced by real counts.
  const settleLimits = (record: UsageRecord): void => {
    if (record.kind === 'request') admissions.settle(record.requestId, { tokens: record.inputTokens + record.outputTokens + record.cachedInputTokens, costMicroUsd: Math.round(record.costUsd * 1e6) });
  };
  const routing: LiveRouting = new LiveRouting({
    view: versions, usageListeners: [metrics.observe, usage.record, settleLimits], env: sources.env,
    createProvider: (p, budget) => createModeAdapter(p, { ...modeDeps, http: (c, baseUrl) => createProvider(baseUrl === undefined ? c : { ...c, baseUrl }, sources.env, budget) }),
    builtInPrices: BUILT_IN_PRICES, bufferBudget: new ByteBudget(config.server.maxBufferedResponseBytes), countTokens: countInputTokens, logger,
    health, budget: new RetryBudget(config.resilience.retryBudget), prober,
  });
  const authenticator = new KeyAuthenticator({ store: storage.keys, adminKey: config.adminKey, jwt: createJwtVerifier(initial.auth.jwt) });
  const unsubscribeKeys = storage.subscribe((change) => { if (change.kind === 'key') authenticator.forgetId(change.id); });
  const deps: AppDeps = {
    config, logger, storage, authenticator, keyAdmin: new KeyAdmin(storage.keys, { audit }), routing, versions, configAdmin: new ConfigAdmin(versions, audit),
    usage, audit, metrics, version: VERSION, lifecycle: new Lifecycle(), health, admissions, budgetAlerts: new BudgetAlerts(logger),
  };
  const app = await buildApp(deps);
  // Roll-ups and retention of usage records, off the request path; every replica runs it, the store lets one work.
  const maintenance = new UsageMaintenanceJob({ store: storage.usage, audit: storage.audit, responses: storage.responses, settings: () => routing.current.config.usage, logger });
  maintenance.start();
  const close = async (): Promise<void> => {
    unsubscribeKeys();
    await maintenance.close();
    await shutdown(app, deps);
    unwatchHealth();
    unlogHealth();
    await prober.close();
    await health.close();
    await admissions.close();
    limiterRedis?.disconnect();
  };
  return { app, deps, close };
}

/**
 * Circuit state shared by every replica in Redis (REDIS_URL), or this process's own. Either way it lives as
 * long as the process: a new configuration version changes its settings, never its state. The first requests
 * wait for Redis (at most redis.connectTimeoutMs): verdicts a replica made alone before it connected are
 * replaced by the shared state when it does, so serving earlier would forget them.
 */
async function openHealthRegistry(process: Config, shared: Config, logger: Logger): Promise<HealthRegistry> {
  const settings = healthSettingsOf(shared.resilience);
  const redis = process.redis;
  if (redis.url === undefined) return new MemoryHealthRegistry({ settings });
  const registry = new RedisHealthRegistry({
    url: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: redis.commandTimeoutMs, connectTimeoutMs: redis.connectTimeoutMs, settings, logger,
  });
  await registry.waitUntilConnected();
  return registry;
}

/**
 * Only a backstop against a reply that never comes: each request's wait is bounded by limits.storeTimeoutMs in
 * limits/admissions.ts, which tells a slow store from this process's own busy event loop (ioredis cannot).
 */
const LIMITER_COMMAND_TIMEOUT_MS = 5_000;

/**
 * The usage and audit pipeline: with usage.journal (the default) every record goes through this process's journal
 * under <dataDir>/journal, then to the store and the enabled message sinks, so a crash or a sink outage loses
 * nothing; without it, through memory only. The journal and the sinks are this process's own: read once at start.
 */
async function openPipeline(process: Config, config: Config, storage: Storage, metrics: GatewayMetrics, logger: Logger): Promise<RecordPipeline> {
  const { flushIntervalMs, batchSize, maxBuffered } = config.usage;
  const j = process.usage.journal;
  const journal = !j.enabled ? undefined : await Journal.open({
    dir: join(process.dataDir, 'journal'), commitIntervalMs: j.commitIntervalMs, syncIntervalMs: j.syncIntervalMs, segmentBytes: j.segmentBytes, maxBytes: j.maxBytes, logger,
  });
  const sinks = [new StoreSink(storage.usage, storage.audit), ...await openMessageSinks(process.usage.sinks, logger)];
  const pipeline = new RecordPipeline({ journal, sinks, gauges: metrics, logger, flushIntervalMs, batchSize, maxBuffered, whenFull: j.whenFull });
  metrics.watchPipeline(() => pipeline.stats);
  return pipeline;
}

/**
 * The limiter's own Redis connection (REDIS_URL): a command fails at once while Redis is away instead of queueing,
 * and the request's wait is bounded by limits.storeTimeoutMs on top (limits/admissions.ts).
 */
function openLimiterRedis(process: Config): Redis | undefined {
  const redis = process.redis;
  if (redis.url === undefined) return undefined;
  const client = new Redis(redis.url, {
    connectTimeout: redis.connectTimeoutMs, commandTimeout: LIMITER_COMMAND_TIMEOUT_MS, disconnectTimeout: redis.commandTimeoutMs,
    enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false,
    // No auto-pipelining: a script that Redis does not know yet (a restart) fails inside an auto-pipeline instead
    // of being loaded by EVAL, and the requests of that turn would be judged by this replica alone.
    retryStrategy: (times) => Math.min(50 * 2 ** (times - 1), 2_000), connectionName: 'switchboard-limits',
  });
  // Failures are answered per request by the store-failure policy; the client's own error events only say it again.
  client.on('error', () => {});
  return client;
}

/** Creates and prints the bootstrap admin key on a first start without SWITCHBOARD_ADMIN_KEY. */
export async function ensureBootstrapKey(deps: AppDeps, print: (text: string) => void): Promise<void> {
  if (deps.config.adminKey !== undefined || (await deps.storage.keys.count()) > 0) return;
  const created = await deps.keyAdmin.create({ name: 'bootstrap-admin', role: 'admin' }, null, 'bootstrap');
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
  await deps.audit.close();
  await deps.authenticator.close();
  await deps.versions.close();
  await deps.routing.close();
  await closeTokenCountPool();
  await deps.storage.close();
}
