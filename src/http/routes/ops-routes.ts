import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import { isAdmin, requireAdmin } from '../auth-hook.ts';
import { healthOverview, type EndpointOverview, type HealthOverview } from '../../admin/health-overview.ts';

const STARTED = new Date();
const config = { dialect: 'generic' } as const;
const schema = { tags: ['operations'] };

/** Liveness and readiness: keyless and terse, for load balancers and Kubernetes probes. */
export function registerProbeRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/health', { config, schema }, async () => ({ status: 'ok' }));
  const ready = async (_req: unknown, reply: FastifyReply) => {
    const checks = await componentChecks(deps);
    // A degraded store does not take the replica out of service: it still serves on its last good configuration.
    const ok = !deps.lifecycle.shuttingDown && checks.every((c) => c.status !== 'failing');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', shutting_down: deps.lifecycle.shuttingDown, checks: checks.map(terse) });
  };
  app.get('/ready', { config, schema }, ready);
  app.get('/health/ready', { config, schema }, ready);
}

/**
 * Operator views. Without a key they say only what a probe may know (up or not, which checks fail); with an
 * admin key they add versions, failure details, providers and queue depths. /metrics (spend and tokens per
 * model) needs the admin key here; the METRICS_PORT listener serves it keyless for Prometheus.
 */
export function registerOperatorRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/', { config, schema }, async (request) => ({
    service: 'switchboard', docs: '/docs', health: '/health',
    endpoints: ['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/v1/messages', '/v1/messages/count_tokens'],
    ...(isAdmin(request) ? { version: deps.version, metrics: '/metrics' } : {}),
  }));
  app.get('/health/detailed', { config, schema }, async (request, reply) => {
    const overview = currentOverview(deps);
    const checks = await componentChecks(deps, overview);
    const failing = checks.some((c) => c.status === 'failing');
    const status = failing ? 'unhealthy' : checks.some((c) => c.status === 'degraded') ? 'degraded' : 'healthy';
    const body = isAdmin(request)
      ? {
          status, version: deps.version, config_version: deps.versions.current().version, uptime_s: uptime(), checks,
          endpoints: overview.endpoints,
        }
      : { status, checks: checks.map(terse) };
    return reply.code(failing ? 503 : 200).send(body);
  });
  app.get('/status', { config, schema }, async (request) => {
    const status = deps.lifecycle.shuttingDown ? 'shutting_down' : 'ok';
    if (!isAdmin(request)) return { service: 'switchboard', status };
    return {
      service: 'switchboard', status, version: deps.version, started_at: STARTED.toISOString(), uptime_s: uptime(),
      shutting_down: deps.lifecycle.shuttingDown, node: process.version,
      config_version: deps.routing.current.version,
      providers: [...deps.routing.current.providers.values()].map((p) => ({ name: p.name, type: p.kind, format: p.format })),
      models: deps.routing.current.catalogue.list().length, usage_queue: deps.usage.pending,
    };
  });
  app.get('/metrics', { config, schema }, async (request: FastifyRequest, reply) => {
    requireAdmin(request);
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

/** degraded: working with less (a store down, served from the last good copy); failing: cannot do its job. */
interface Check { readonly name: string; readonly status: 'ok' | 'degraded' | 'failing'; readonly detail?: string }

function terse(check: Check): Check {
  return { name: check.name, status: check.status };
}

async function componentChecks(deps: AppDeps, overview: HealthOverview = currentOverview(deps)): Promise<Check[]> {
  // The store down is degraded, not failing: keys are checked against the cache, usage waits in memory and the
  // configuration is the last good one; the replica keeps serving.
  const storage: Check = await deps.storage.ping().then(
    () => ({ name: 'storage', status: 'ok' as const }),
    (err: unknown) => ({ name: 'storage', status: 'degraded' as const, detail: (err as Error).message }));
  const cfg = deps.versions.status();
  const configuration: Check = { name: 'configuration', status: cfg.state, detail: cfg.detail };
  // Failing near the limit of what holds the backlog (memory, or the journal's disk): past it records are dropped.
  const queue: Check = deps.usage.fill < 0.9
    ? { name: 'usage_writer', status: 'ok', detail: `${deps.usage.pending} queued` }
    : { name: 'usage_writer', status: 'failing', detail: `${deps.usage.pending} queued, ${Math.round(deps.usage.fill * 100)} % of the room for them used` };
  const live = deps.routing.current.providers;
  const providers: Check = { name: 'providers', status: live.size > 0 ? 'ok' : 'failing', detail: [...live.keys()].join(', ') };
  return [storage, configuration, queue, providers, endpointCheck(overview)];
}

/**
 * Providers out of service (breaker open, ejected, probes failing, sidecar down) degrade the replica but never
 * fail it: every replica would see the same, and taking them all out of service helps no one.
 */
function endpointCheck(overview: HealthOverview): Check {
  const out = overview.endpoints.filter((e) => !e.available).map((e) => `${e.provider}: ${describeUnavailable(e)}`);
  // Redis configured but out of reach: each replica judges providers alone until it is back.
  if (overview.stateStore === 'redis' && !overview.sharedState) out.push('circuit state not shared: Redis cannot be reached');
  return { name: 'endpoints', status: out.length === 0 ? 'ok' : 'degraded', detail: out.length === 0 ? `${overview.summary.endpoints} available` : out.join('; ') };
}

function currentOverview(deps: AppDeps): HealthOverview {
  return healthOverview(deps.routing.current.config, deps.routing.current.providers, deps.health);
}

function describeUnavailable(e: EndpointOverview): string {
  if (e.route === 'unavailable') return `sidecar ${String(e.sidecar?.state ?? 'not ready')}`;
  if (e.breaker !== 'closed') return `circuit breaker ${e.breaker}`;
  if (e.ejectedUntil !== null) return 'ejected';
  return 'failing its health check';
}

function uptime(): number {
  return Math.round((Date.now() - STARTED.getTime()) / 1000);
}
