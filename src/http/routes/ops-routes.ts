import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../app-deps.ts';

const STARTED = new Date();

/** Service info, liveness, readiness, component health and status. None needs a key; none reveals a secret. */
export function registerOpsRoutes(app: FastifyInstance, deps: AppDeps): void {
  const config = { dialect: 'generic', auth: 'none' } as const;
  const schema = { tags: ['operations'] };
  app.get('/', { config, schema }, async () => ({
    service: 'switchboard', version: deps.version, docs: '/docs', health: '/health', metrics: '/metrics',
    endpoints: ['/v1/chat/completions', '/v1/embeddings', '/v1/models', '/v1/messages', '/v1/messages/count_tokens'],
  }));
  app.get('/health', { config, schema }, async () => ({ status: 'ok' }));
  const ready = async (_req: unknown, reply: FastifyReply) => {
    const checks = await componentChecks(deps);
    const ok = !deps.lifecycle.shuttingDown && checks.every((c) => c.status === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not_ready', shutting_down: deps.lifecycle.shuttingDown, checks });
  };
  app.get('/ready', { config, schema }, ready);
  app.get('/health/ready', { config, schema }, ready);
  app.get('/health/detailed', { config, schema }, async (_req, reply) => {
    const checks = await componentChecks(deps);
    const ok = checks.every((c) => c.status === 'ok');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'healthy' : 'unhealthy', version: deps.version, uptime_s: uptime(), checks });
  });
  app.get('/status', { config, schema }, async () => ({
    service: 'switchboard', version: deps.version, started_at: STARTED.toISOString(), uptime_s: uptime(),
    shutting_down: deps.lifecycle.shuttingDown, node: process.version,
    providers: [...deps.providers.values()].map((p) => ({ name: p.name, type: p.kind, format: p.format })),
    models: deps.catalogue.list().length, usage_queue: deps.usage.pending,
  }));
  app.get('/metrics', { config, schema }, async (_req, reply) => {
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}

interface Check { readonly name: string; readonly status: 'ok' | 'failing'; readonly detail?: string }

async function componentChecks(deps: AppDeps): Promise<Check[]> {
  const storage: Check = await deps.storage.ping().then(
    () => ({ name: 'storage', status: 'ok' as const }),
    (err: unknown) => ({ name: 'storage', status: 'failing' as const, detail: (err as Error).message }));
  const queue: Check = deps.usage.pending < deps.config.usage.maxBuffered * 0.9
    ? { name: 'usage_writer', status: 'ok', detail: `${deps.usage.pending} queued` }
    : { name: 'usage_writer', status: 'failing', detail: `${deps.usage.pending} queued, buffer nearly full` };
  const providers: Check = { name: 'providers', status: deps.providers.size > 0 ? 'ok' : 'failing', detail: [...deps.providers.keys()].join(', ') };
  return [storage, queue, providers];
}

function uptime(): number {
  return Math.round((Date.now() - STARTED.getTime()) / 1000);
}
